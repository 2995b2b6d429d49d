/** `taskenv secret …`: workspace secrets, injected into environments by id. Values are write-only. */
import { readUserFile, stripFinalNewline, UsageError } from '../args.ts';
import {
  booleanOption,
  type Command,
  type CommandContext,
  Exit,
  stringOption,
  writeJson,
} from '../command.ts';
import { table } from '../output.ts';

const readStdin = async (context: CommandContext): Promise<string> => {
  const stdin = context.io.stdin;
  if (stdin === undefined) throw new UsageError('--from-stdin: no standard input available');
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stdin)
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
};

/**
 * Exactly one source. `--value` is accepted for scripts but lands in shell history, so the help
 * steers people to the file and stdin forms.
 */
const secretValue = async (context: CommandContext): Promise<string> => {
  const { options, io } = context;
  const value = stringOption(options, 'value');
  const file = stringOption(options, 'from-file');
  const fromStdin = booleanOption(options, 'from-stdin');
  const given = [value !== undefined, file !== undefined, fromStdin].filter(Boolean).length;
  if (given !== 1) {
    throw new UsageError('give the value with exactly one of --value, --from-file or --from-stdin');
  }
  const raw =
    value ??
    (file !== undefined
      ? stripFinalNewline(await readUserFile(file, io.cwd))
      : stripFinalNewline(await readStdin(context)));
  if (raw === '') throw new UsageError('the secret value is empty');
  return raw;
};

export const secretCommands: readonly Command[] = [
  {
    name: 'secret set',
    args: ['id'],
    summary: 'create or replace a secret of the workspace',
    options: {
      value: {
        type: 'string',
        value: 'V',
        description: 'the value (visible in shell history; prefer the others)',
      },
      'from-file': {
        type: 'string',
        value: 'F',
        description: 'read the value from a file (one final newline dropped)',
      },
      'from-stdin': {
        type: 'boolean',
        description: 'read the value from standard input (one final newline dropped)',
      },
      'env-var': {
        type: 'string',
        value: 'NAME',
        description: 'variable name inside environments (default: ID upper-cased, - → _)',
      },
    },
    async run(context) {
      const id = context.args[0] ?? '';
      const value = await secretValue(context);
      const envVar = stringOption(context.options, 'env-var');
      const saved = await (await context.client()).putSecret(id, {
        value,
        ...(envVar === undefined ? {} : { env_var: envVar }),
      });
      if (context.json) writeJson(context.io, saved);
      else context.io.stdout.write(`saved secret ${saved.id} (env var ${saved.env_var}, ${saved.preview})\n`);
      return Exit.ok;
    },
  },
  {
    name: 'secret list',
    args: [],
    summary: 'list the workspace’s secrets (never their values)',
    options: {},
    async run(context) {
      const { secrets } = await (await context.client()).listSecrets();
      if (context.json) {
        writeJson(context.io, { secrets });
      } else if (secrets.length === 0) {
        context.io.stdout.write('no secrets\n');
      } else {
        context.io.stdout.write(
          table(
            ['ID', 'ENV VAR', 'PREVIEW', 'UPDATED'],
            secrets.map((s) => [s.id, s.env_var, s.preview, s.updated_at]),
          ),
        );
      }
      return Exit.ok;
    },
  },
  {
    name: 'secret delete',
    args: ['id'],
    summary: 'delete a secret of the workspace',
    options: {},
    async run(context) {
      const id = context.args[0] ?? '';
      await (await context.client()).deleteSecret(id);
      // The API answers 204; --json still gets a document to parse.
      if (context.json) writeJson(context.io, { id, deleted: true });
      else context.io.stdout.write(`deleted secret ${id}\n`);
      return Exit.ok;
    },
  },
];
