/**
 * `taskenv dev` as a separate process (as `npm start` runs it), for the tests that must kill it
 * with `kill -9` or interrupt it the way a terminal does: started in a process group of its
 * own, its banner read for the API URL and key, its pid and DynamoDB Local's read from the
 * files it writes in the data dir.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiTarget } from './e2e.ts';
import { processExists, REPO_ROOT } from './e2e.ts';

const BANNER_END = 'Ctrl-C stops everything.';

export interface DevProcess extends ApiTarget {
  /** What was spawned, the leader of the process group: the stack itself, or `npm`. */
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** The stack's own process (what `stack.json` names). */
  readonly stackPid: number;
  /** DynamoDB Local's process (what `dynamodb.pid` names). */
  readonly dynamodbPid: number;
  /** Everything the process printed so far. */
  readonly output: () => string;
  /** Settles once the spawned process has exited. */
  readonly exited: Promise<number | string | null>;
}

/** `taskenv dev` (or `npm start`) spawned, before its banner. */
export interface SpawnedDev {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly output: () => string;
  readonly exited: Promise<number | string | null>;
}

/**
 * Spawns `taskenv dev --port 0 --data-dir <dataDir> <args>` (or `npm start -- …`) in a process
 * group of its own, as a terminal's foreground job: a group signal reaches all of it.
 */
export const spawnDev = (
  dataDir: string,
  args: readonly string[],
  viaNpm = false,
  env: NodeJS.ProcessEnv = process.env,
): SpawnedDev => {
  const devArgs = ['--port', '0', '--data-dir', dataDir, ...args];
  const [command, commandArgs] = viaNpm
    ? ['npm', ['start', '--silent', '--', ...devArgs]]
    : // tsx's loader in node itself, as `npm start` runs it: no relay process between the signal and the stack.
      [process.execPath, ['--import', 'tsx', 'cli/main.ts', 'dev', ...devArgs]];
  const child = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string | null>((settle) =>
    child.once('exit', (code, signal) => settle(code ?? signal)),
  );
  return { child, output: () => output, exited };
};

/** SIGKILL to the whole group of a spawned stack; resolves once its leader has exited. */
export const killGroup = async (spawned: Pick<SpawnedDev, 'child' | 'exited'>): Promise<void> => {
  try {
    process.kill(-(spawned.child.pid ?? 0), 'SIGKILL');
  } catch {
    // Gone already.
  }
  await spawned.exited;
};

/**
 * Starts `taskenv dev --port 0 --data-dir <dataDir> <args>` (or `npm start -- …`) and resolves
 * once its banner is out.
 */
export const startDevProcess = async (
  dataDir: string,
  args: readonly string[],
  {
    viaNpm = false,
    timeoutMs = 60_000,
    env = process.env,
  }: {
    readonly viaNpm?: boolean;
    readonly timeoutMs?: number;
    /** The environment of the process. @default this one's */
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<DevProcess> => {
  const spawned = spawnDev(dataDir, args, viaNpm, env);
  const { child, output: read, exited } = spawned;
  const deadline = performance.now() + timeoutMs;
  while (!read().includes(BANNER_END)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`taskenv dev exited before its banner:\n${read()}`);
    }
    if (performance.now() > deadline) {
      await killGroup(spawned);
      throw new Error(`no banner within ${timeoutMs} ms:\n${read()}`);
    }
    await sleep(50);
  }
  const output = read();
  const apiUrl = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  const apiKey = /API key\s+(\S+)/.exec(output)?.[1];
  if (apiUrl === undefined || apiKey === undefined) throw new Error(`cannot read the banner:\n${output}`);
  const stack = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8')) as { pid: number };
  const dynamodb = JSON.parse(await readFile(join(dataDir, 'dynamodb.pid'), 'utf8')) as { pid: number };
  return {
    apiUrl,
    apiKey,
    org: 'local',
    workspace: 'default',
    child,
    stackPid: stack.pid,
    dynamodbPid: dynamodb.pid,
    output: read,
    exited,
  };
};

/**
 * `kill -9` of the whole stack (its process group: the stack, and `npm` and its shell under npm), leaving what it started
 * in groups of their own: task processes, containers, DynamoDB Local.
 */
export const killStack = async (dev: DevProcess): Promise<void> => {
  await killGroup(dev);
  while (processExists(dev.stackPid)) await sleep(20);
};

/** Ctrl-C as a terminal sends it: SIGINT to the whole group. Resolves with the exit code. */
export const interruptStack = async (
  dev: DevProcess,
  timeoutMs = 20_000,
): Promise<number | string | null> => {
  process.kill(-(dev.child.pid ?? 0), 'SIGINT');
  const code = await Promise.race([exited(dev), sleep(timeoutMs).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    process.kill(-(dev.child.pid ?? 0), 'SIGKILL');
    throw new Error(`taskenv dev did not stop within ${timeoutMs} ms:\n${dev.output()}`);
  }
  return code;
};

const exited = (dev: DevProcess) => dev.exited;
