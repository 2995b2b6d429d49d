/**
 * What the in-process figures share: DynamoDB Local with the service tables, document clients
 * pointed at it (one for taskenv's adapters, one for the raw calls, both recorded) and a seeded
 * org with an admin key and the `hello-http` example task published.
 */
import { join } from 'node:path';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '#adapters/local/dynamodb-local';
import { generateApiKey } from '#domain/principal';
import { publishableExample, readExamples } from '#local/examples';
import { systemClock } from '#ports/clock';
import { publishTask } from '#use-cases/tasks';
import { DynamoCallRecorder } from './dynamodb-recorder.ts';
import { InstantRuntime } from './fakes.ts';

export const BENCH_ORG = 'bench';
export const BENCH_WORKSPACE = 'default';
export const BENCH_TASK = 'hello-http';

export interface World {
  readonly endpoint: string;
  readonly clientConfig: DynamoDBClientConfig;
  readonly tableName: string;
  readonly idempotencyTableName: string;
  /** The client taskenv's adapters use; its calls land in `recorder`. */
  readonly client: DynamoDBDocumentClient;
  readonly recorder: DynamoCallRecorder;
  /** A separate client for the raw calls, recorded the same way so both sides carry the same middleware. */
  readonly rawClient: DynamoDBDocumentClient;
  readonly rawRecorder: DynamoCallRecorder;
  readonly stores: ReturnType<typeof dynamoStores>;
  readonly apiKey: string;
  stop(): Promise<void>;
}

export const startWorld = async (projectRoot: string): Promise<World> => {
  const ddb: DynamoDbLocal = await startDynamoDbLocal();
  try {
    const tableName = 'taskenv-bench';
    const idempotencyTableName = 'taskenv-bench-idempotency';
    await ensureTables(ddb.endpoint, { table: tableName, idempotencyTable: idempotencyTableName });
    const clientConfig: DynamoDBClientConfig = {
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    };
    const client = createDocumentClient(clientConfig);
    const recorder = new DynamoCallRecorder().attach(client);
    const rawClient = createDocumentClient(clientConfig);
    const rawRecorder = new DynamoCallRecorder().attach(rawClient);
    const stores = dynamoStores(client, { TABLE_NAME: tableName });

    // Limits far above what the runs create: the figures time the quota check, never a refusal.
    await stores.access.putOrg({
      org: BENCH_ORG,
      maxConcurrentEnvironments: 1_000_000,
      maxLifetimeSec: 4 * 3600,
      createdAt: new Date().toISOString(),
    });
    const key = generateApiKey();
    await stores.access.putApiKey({
      keyHash: key.keyHash,
      keyId: key.keyId,
      org: BENCH_ORG,
      role: 'admin',
      workspaces: ['*'],
      createdAt: new Date().toISOString(),
      revoked: false,
    });
    const example = (await readExamples(join(projectRoot, 'examples', 'tasks'))).examples.find(
      (e) => e.source.name === BENCH_TASK,
    );
    if (example === undefined) throw new Error(`no valid examples/tasks/${BENCH_TASK}`);
    const manifest = publishableExample(example, BENCH_ORG);
    await publishTask(
      {
        principal: { keyId: key.keyId, org: BENCH_ORG, role: 'admin', workspaces: ['*'] },
        org: BENCH_ORG,
        manifest,
      },
      { tasks: stores.tasks, runtime: new InstantRuntime(), clock: systemClock },
    );
    recorder.take();

    return {
      endpoint: ddb.endpoint,
      clientConfig,
      tableName,
      idempotencyTableName,
      client,
      recorder,
      rawClient,
      rawRecorder,
      stores,
      apiKey: key.key,
      stop: async () => {
        client.destroy();
        rawClient.destroy();
        await ddb.stop();
      },
    };
  } catch (error) {
    await ddb.stop();
    throw error;
  }
};
