/** `taskenv key …`: the org's API keys (needs an admin key). A new key is printed once. */
import { UsageError } from '../args.ts';
import { type Command, Exit, stringOption, stringsOption, writeJson } from '../command.ts';
import { table } from '../output.ts';

export const keyCommands: readonly Command[] = [
  {
    name: 'key create',
    args: ['name'],
    summary: 'issue an API key of the org (printed once; only its SHA-256 is stored)',
    options: {
      role: { type: 'string', value: 'R', description: 'admin or member (default member)' },
      workspace: {
        type: 'string',
        multiple: true,
        value: 'W',
        description: 'a workspace the member key may use (repeatable; default: every workspace)',
      },
    },
    details: 'Example: taskenv key create ci --role member --workspace ws1',
    async run(context) {
      const role = stringOption(context.options, 'role') ?? 'member';
      if (role !== 'admin' && role !== 'member') throw new UsageError('--role is admin or member');
      const listed = stringsOption(context.options, 'workspace');
      if (role === 'admin' && listed.length > 0) {
        throw new UsageError('an admin key has every workspace; --workspace is for member keys');
      }
      const created = await (await context.client()).createKey({
        name: context.args[0] ?? '',
        role,
        workspaces: listed.length === 0 ? ['*'] : listed,
      });
      if (context.json) {
        writeJson(context.io, created);
      } else {
        context.io.stdout.write(
          `created ${created.role} key ${created.id} (${created.name}) for ${created.workspaces.join(', ')}\n` +
            `${created.key}\n` +
            'This is the only time the key is shown: store it now.\n',
        );
      }
      return Exit.ok;
    },
  },
  {
    name: 'key list',
    args: [],
    summary: 'list the org’s API keys that still work (never the keys)',
    options: {},
    async run(context) {
      const { keys } = await (await context.client()).listKeys();
      if (context.json) {
        writeJson(context.io, { keys });
      } else if (keys.length === 0) {
        context.io.stdout.write('no keys\n');
      } else {
        context.io.stdout.write(
          table(
            ['ID', 'NAME', 'ROLE', 'WORKSPACES', 'CREATED'],
            keys.map((k) => [k.id, k.name, k.role, k.workspaces.join(','), k.created_at]),
          ),
        );
      }
      return Exit.ok;
    },
  },
  {
    name: 'key revoke',
    args: ['id'],
    summary: 'revoke an API key: it fails from the next request on',
    options: {},
    details:
      'On AWS the authorizer caches a key for its TTL (5 min by default): a revoked key may work until then.',
    async run(context) {
      const id = context.args[0] ?? '';
      await (await context.client()).revokeKey(id);
      if (context.json) writeJson(context.io, { id, revoked: true });
      else context.io.stdout.write(`revoked key ${id}\n`);
      return Exit.ok;
    },
  },
];
