/** `taskenv pool …`: warm pools of the org (started tasks waiting for a matching create). */
import { UsageError } from '../args.ts';
import { type Command, Exit, writeJson } from '../command.ts';
import { table } from '../output.ts';

const sizeOf = (text: string | undefined): number => {
  const size = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || size > 100) {
    throw new UsageError(`size must be a whole number from 0 to 100, not '${text ?? ''}'`);
  }
  return size;
};

export const poolCommands: readonly Command[] = [
  {
    name: 'pool set',
    args: ['ref', 'size'],
    summary: 'keep SIZE started tasks of NAME@VERSION waiting (admin key)',
    options: {},
    async run(context) {
      const [ref = '', size] = context.args;
      const pool = await (await context.client()).putPool(ref, sizeOf(size));
      if (context.json) writeJson(context.io, pool);
      else
        context.io.stdout.write(
          `pool ${pool.task_ref}: size ${pool.size} (${pool.warm} warm, ${pool.starting} starting)\n`,
        );
      return Exit.ok;
    },
  },
  {
    name: 'pool list',
    args: [],
    summary: 'list the org’s warm pools',
    options: {},
    async run(context) {
      const { pools } = await (await context.client()).listPools();
      if (context.json) {
        writeJson(context.io, { pools });
      } else if (pools.length === 0) {
        context.io.stdout.write('no pools\n');
      } else {
        context.io.stdout.write(
          table(
            ['TASK', 'SIZE', 'WARM', 'STARTING', 'CLAIMED'],
            pools.map((p) => [
              p.task_ref,
              String(p.size),
              String(p.warm),
              String(p.starting),
              String(p.claimed_total),
            ]),
          ),
        );
      }
      return Exit.ok;
    },
  },
  {
    name: 'pool delete',
    args: ['ref'],
    summary: 'stop the waiting tasks of a pool and remove it (admin key)',
    options: {},
    async run(context) {
      const ref = context.args[0] ?? '';
      await (await context.client()).deletePool(ref);
      if (context.json) writeJson(context.io, { pool: ref, deleted: true });
      else context.io.stdout.write(`deleted pool ${ref}\n`);
      return Exit.ok;
    },
  },
];
