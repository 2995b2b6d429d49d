/**
 * An evaluation harness in a few lines of the TypeScript SDK: N environments in parallel, one
 * command in each, the task's verification, a table; Ctrl-C (or any failure) tears down every
 * environment it made.
 *
 *   npx tsx examples/harness/harness.ts --count 3 --task hello-http --command 'ls /'
 */
import { parseArgs } from 'node:util';
import { type Environment, Taskenv } from 'taskenv';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '3' },
    task: { type: 'string', default: 'hello-http' },
    command: { type: 'string', default: 'echo hello from $HOSTNAME' },
    answer: { type: 'string' },
    project: { type: 'string', default: 'harness' },
  },
});

interface Row {
  id: string;
  state: string;
  exit: string;
  verified: string;
  note: string;
}

const client = new Taskenv();
const interrupt = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\ninterrupted: tearing down…\n');
  interrupt.abort();
});
const signal = interrupt.signal;
const made: Environment[] = [];

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const runOne = async (index: number): Promise<Row> => {
  const row: Row = { id: '-', state: '-', exit: '-', verified: '-', note: '' };
  try {
    // Created first, waited for second: the id is known (and torn down) even if the wait is cut
    // short. The create itself is not aborted: one the server answered must reach `made`.
    const env = await client.environments.create({ task_ref: values.task, project_id: values.project });
    made.push(env);
    row.id = env.id;
    await env.waitUntilReady({ signal });
    row.state = env.state;
    const result = await env.execute(values.command, { signal });
    row.exit = String(result.exit_code);
    row.note = result.output.trim().split('\n')[0] ?? '';
    const verdict = await env.verify(values.answer, { signal });
    row.verified = verdict.passed ? 'passed' : 'failed';
  } catch (error) {
    row.note = `#${index}: ${describe(error)}`;
  }
  return row;
};

const printTable = (rows: readonly Row[]): void => {
  const header: Row = {
    id: 'environment',
    state: 'state',
    exit: 'exit',
    verified: 'verify',
    note: 'output / error',
  };
  const keys = ['id', 'state', 'exit', 'verified', 'note'] as const;
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${keys
        .map((key, i) => row[key].padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
};

let code = 0;
try {
  const rows = await Promise.all(Array.from({ length: Number(values.count) }, (_, i) => runOne(i)));
  printTable(rows);
  if (signal.aborted) code = 130;
} finally {
  // Not under the aborted signal: teardown must still go out after Ctrl-C.
  const torn = await Promise.allSettled(made.map((env) => env.delete()));
  const failed = torn.filter((t) => t.status === 'rejected').length;
  process.stderr.write(`tore down ${made.length - failed} of ${made.length} environments\n`);
  if (failed > 0) code = 1;
}
process.exit(code);
