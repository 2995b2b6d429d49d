/** The command table, the options every command takes, and the help text made from them. */
import type { ParseArgsConfig } from 'node:util';
import { CLIENT_VERSION } from './client.ts';
import type { Command, OptionSpecs } from './command.ts';
import { adminCommands } from './commands/admin.ts';
import { envCommands } from './commands/env.ts';
import { envDataCommands } from './commands/env-data.ts';
import { keyCommands } from './commands/key.ts';
import { poolCommands } from './commands/pool.ts';
import { secretCommands } from './commands/secret.ts';
import { taskCommands } from './commands/task.ts';
import { LOCAL_DEFAULTS } from './settings.ts';

export const commands: readonly Command[] = [
  ...envCommands,
  ...envDataCommands,
  ...taskCommands,
  ...secretCommands,
  ...poolCommands,
  ...keyCommands,
  ...adminCommands,
];
export const groups = ['env', 'task', 'secret', 'pool', 'key', 'admin'] as const;

const HELP_OPTION = { type: 'boolean', short: 'h', description: 'show help' } as const;

export const GLOBAL_OPTIONS: OptionSpecs = {
  'api-url': { type: 'string', value: 'URL', description: `API base URL (default ${LOCAL_DEFAULTS.apiUrl})` },
  'api-key': {
    type: 'string',
    value: 'KEY',
    description: 'API key (default for a local API: .taskenv/api-key)',
  },
  org: { type: 'string', value: 'ORG', description: `org slug (default ${LOCAL_DEFAULTS.org})` },
  workspace: {
    type: 'string',
    value: 'WS',
    description: `workspace slug (default ${LOCAL_DEFAULTS.workspace})`,
  },
  json: { type: 'boolean', description: 'print only JSON on stdout (errors too)' },
  help: HELP_OPTION,
};

const ROOT_OPTIONS: OptionSpecs = {
  help: HELP_OPTION,
  version: { type: 'boolean', description: 'print the version' },
};

export const toParseArgsOptions = (specs: OptionSpecs): NonNullable<ParseArgsConfig['options']> =>
  Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.multiple === true ? { multiple: true } : {}),
        ...(spec.short === undefined ? {} : { short: spec.short }),
      },
    ]),
  );

/** Every option any command knows: enough to tell option values from command words in a first pass. */
export const ALL_OPTIONS = toParseArgsOptions(
  Object.assign({}, ROOT_OPTIONS, GLOBAL_OPTIONS, ...commands.map((command) => command.options)),
);

// Help -------------------------------------------------------------------------------------------

const optionLines = (specs: OptionSpecs): string[] => {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    return [flag, `${spec.description}${spec.multiple === true ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
};

const usageOf = (command: Command): string =>
  `taskenv ${command.name}${command.args.map((arg) => ` <${arg}>`).join('')}${
    Object.keys(command.options).length > 0 ? ' [options]' : ''
  }${command.rest === undefined ? '' : ` -- <${command.rest}…>`}`;

export const commandHelp = (command: Command): string =>
  [
    `Usage: ${usageOf(command)}`,
    '',
    command.summary,
    ...(Object.keys(command.options).length > 0 ? ['', 'Options:', ...optionLines(command.options)] : []),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    ...(command.details === undefined ? [] : ['', command.details]),
    '',
  ].join('\n');

const DEV_ROW = [
  'dev [options]',
  'run the whole service on this machine (= npm start); taskenv dev --help',
] as const;

const commandListLines = (rows: readonly (readonly [string, string])[]): string[] => {
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`);
};

const commandRow = (command: Command): readonly [string, string] => [
  usageOf(command)
    .replace(/^taskenv /, '')
    .replace(/ \[options\]$/, ''),
  command.summary,
];

export const groupHelp = (group: string): string =>
  [
    `Usage: taskenv ${group} <command> [options]`,
    '',
    'Commands:',
    ...commandListLines(commands.filter((command) => command.name.startsWith(`${group} `)).map(commandRow)),
    '',
    `Run 'taskenv ${group} <command> --help' for its options.`,
    '',
  ].join('\n');

export const rootHelp = (): string =>
  [
    `taskenv ${CLIENT_VERSION}: per-task sandbox environments`,
    '',
    'Usage: taskenv <command> [options]',
    '',
    'Commands:',
    ...commandListLines([DEV_ROW, ...commands.map(commandRow)]),
    '',
    'Settings, first found wins: --api-url/--api-key/--org/--workspace; TASKENV_API_URL, TASKENV_API_KEY,',
    'TASKENV_ORG, TASKENV_WORKSPACE; the config file ($TASKENV_CONFIG or ~/.config/taskenv/config.json,',
    `keys api_url, api_key, org, workspace); the local stack (${LOCAL_DEFAULTS.apiUrl}, key from .taskenv/api-key).`,
    '',
    'Exit codes: 0 ok/ready, 1 failed, 2 usage, 3 wait timed out, 4 API error, 130 interrupted.',
    "Run 'taskenv <command> --help' for a command's options.",
    '',
  ].join('\n');
