/**
 * What the control-plane figures share: a provision (`POST …/environments`, `hello-http`)
 * through the local gateway, the REQUEST authorizer (no cache: every request pays for its key
 * lookup) and the environments-create handler, on the real DynamoDB adapters and the real AWS
 * adapters over mocked SDK clients ({@link mockedAws}); and the same provision's calls (every
 * DynamoDB call, the idempotency table's included, and every AWS call) recorded once and sent
 * again raw, in the same waves, for a fresh environment id each time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Adapters, composeHandlers } from '#local/compose';
import { createGateway, type Gateway } from '#local/gateway';
import { randomIds, systemClock } from '#ports/clock';
import { type AwsCall, type MockedAws, mockedAws } from './aws-mocks.ts';
import { wavesOf } from './call-waves.ts';
import { DynamoCallRecorder, type RecordedCall, replay, replayLowLevel } from './dynamodb-recorder.ts';
import { NullSecretValues } from './fakes.ts';
import { idleDataPlane } from './idle-data-plane.ts';
import { BENCH_ORG, BENCH_TASK, BENCH_WORKSPACE, type World } from './world.ts';

/** One recorded call of a provision, on whichever client made it. */
interface TimedCall {
  readonly kind: 'document' | 'low-level' | 'aws';
  readonly command: string;
  readonly inputJson: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** A recorded provision: its calls in waves (the calls of a wave ran concurrently) and the strings to swap. */
export interface ProvisionTemplate {
  readonly waves: readonly (readonly TimedCall[])[];
  /** Strings of the recorded request that a replay replaces with fresh ones of the same shape. */
  readonly tokens: readonly string[];
  /** Calls by name (`DynamoDB:GetItem`, `ECS:RunTask` …). */
  readonly callsByName: Record<string, number>;
}

export type PreparedReplay = readonly (readonly {
  readonly kind: TimedCall['kind'];
  readonly command: string;
  readonly input: unknown;
}[])[];

export interface ProvisionBench {
  readonly gateway: Gateway;
  readonly aws: MockedAws;
  /** One create through the whole chain; returns the environment id. */
  provision(idempotencyKey?: string): Promise<string>;
  /** Records one provision (with or without a key) as a template. */
  record(withKey: boolean): Promise<ProvisionTemplate>;
  /** The template's calls with fresh ids, built before the clock starts. */
  prepare(template: ProvisionTemplate): PreparedReplay;
  /** Sends a prepared replay raw: wave by wave, the calls of a wave at once. */
  replay(prepared: PreparedReplay): Promise<void>;
  /** Forgets recorded calls (they accumulate otherwise). */
  clear(): void;
  stop(): void;
}

const freshLike = (token: string): string => {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(token)) return randomUUID();
  return randomBytes(Math.ceil(token.length / 2))
    .toString('hex')
    .slice(0, token.length);
};

export const startProvisionBench = (world: World): ProvisionBench => {
  const aws = mockedAws();
  // The idempotency table is written by Powertools on a low-level client: record it too.
  const idempotencyClient = new DynamoDBClient(world.clientConfig);
  const idempotencyRecorder = new DynamoCallRecorder().attach(idempotencyClient);
  const rawIdempotencyClient = new DynamoDBClient(world.clientConfig);
  new DynamoCallRecorder().attach(rawIdempotencyClient);
  const adapters: Adapters = {
    ...world.stores,
    dataPlane: idleDataPlane(world),
    secretValues: new NullSecretValues(),
    envFiles: aws.envFiles,
    runtime: aws.runtime,
    expiry: aws.expiry,
    publisher: aws.publisher,
    addresses: aws.addresses,
    checks: aws.checks,
    clock: systemClock,
    ids: randomIds,
    executeTokens: aws.executeTokens,
    poolKeeper: aws.poolKeeper,
    idempotency: new DynamoDBPersistenceLayer({
      tableName: world.idempotencyTableName,
      awsSdkV3Client: idempotencyClient,
    }),
  };
  const handlers = composeHandlers(adapters, {
    version: '0.0.0-bench',
    docsAssets: async () => ({ script: '', stylesheet: '' }),
    reconcile: { launchDeadlineSec: 600, maxLaunchAttempts: 3 },
  });
  const gateway = createGateway({ authorizer: handlers.authorizer, handlers: handlers.http });
  const body = JSON.stringify({ task_ref: BENCH_TASK });

  const provision = async (idempotencyKey?: string): Promise<string> => {
    const response = await gateway.handle({
      method: 'POST',
      path: `/api/v1/org/${BENCH_ORG}/ws/${BENCH_WORKSPACE}/environments`,
      headers: {
        authorization: `Bearer ${world.apiKey}`,
        'content-type': 'application/json',
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body,
    });
    if (response.statusCode !== 201) {
      throw new Error(`Provision answered ${response.statusCode}: ${response.body}`);
    }
    const parsed: unknown = JSON.parse(response.body);
    if (typeof parsed !== 'object' || parsed === null || !('id' in parsed) || typeof parsed.id !== 'string') {
      throw new Error(`Provision answered no id: ${response.body}`);
    }
    return parsed.id;
  };

  const clear = () => {
    world.recorder.take();
    world.rawRecorder.take();
    idempotencyRecorder.take();
    aws.ledger.take();
  };

  const timed = (kind: TimedCall['kind'], calls: readonly RecordedCall[]): TimedCall[] =>
    calls.map((c) => ({
      kind,
      command: c.command,
      inputJson: JSON.stringify(c.input),
      startedAt: c.startedAt,
      endedAt: c.endedAt,
    }));
  const timedAws = (calls: readonly AwsCall[]): TimedCall[] =>
    calls.map((c) => ({
      kind: 'aws',
      command: c.name,
      inputJson: JSON.stringify(c.input),
      startedAt: c.at,
      endedAt: c.at,
    }));

  const record = async (withKey: boolean): Promise<ProvisionTemplate> => {
    await provision(withKey ? randomUUID() : undefined);
    clear();
    const key = withKey ? randomUUID() : undefined;
    const id = await provision(key);
    const calls = [
      ...timed('document', world.recorder.take()),
      ...timed('low-level', idempotencyRecorder.take()),
      ...timedAws(aws.ledger.take()),
    ];
    // Powertools keys its record by a hash of the key: found in the record it puts.
    const hashes = calls
      .filter((c) => c.kind === 'low-level' && c.command === 'PutItemCommand')
      .flatMap((c) => [...c.inputJson.matchAll(/"id":\{"S":"[^"#]*#([^"]{8,})"\}/g)].map((m) => m[1] ?? ''));
    const tokens = [id, id.replaceAll('-', ''), ...(key === undefined ? [] : [key]), ...hashes].filter(
      (t) => t.length > 0,
    );
    const callsByName: Record<string, number> = {};
    for (const c of calls) {
      const name = c.kind === 'aws' ? c.command : `DynamoDB:${c.command.replace(/Command$/, '')}`;
      callsByName[name] = (callsByName[name] ?? 0) + 1;
    }
    return { waves: wavesOf(calls), tokens, callsByName };
  };

  const prepare = (template: ProvisionTemplate): PreparedReplay => {
    const fresh = new Map<string, string>();
    const [id] = template.tokens;
    for (const token of template.tokens) fresh.set(token, freshLike(token));
    // The dashless id (in the task ARN) follows the fresh id.
    if (id !== undefined) fresh.set(id.replaceAll('-', ''), (fresh.get(id) ?? '').replaceAll('-', ''));
    const swap = (json: string) => {
      let out = json;
      for (const [from, to] of fresh) out = out.replaceAll(from, to);
      return out;
    };
    return template.waves.map((wave) =>
      wave.map((c) => ({
        kind: c.kind,
        command: c.command,
        input: JSON.parse(swap(c.inputJson)) as unknown,
      })),
    );
  };

  const send = (call: PreparedReplay[number][number]): Promise<unknown> => {
    switch (call.kind) {
      case 'document':
        return replay(world.rawClient, call.command, call.input);
      case 'low-level':
        return replayLowLevel(rawIdempotencyClient, call.command, call.input);
      case 'aws':
        return aws.replay({ name: call.command, input: call.input });
    }
  };

  return {
    gateway,
    aws,
    provision,
    record,
    prepare,
    replay: async (prepared) => {
      for (const wave of prepared) await Promise.all(wave.map(send));
    },
    clear,
    stop: () => {
      aws.restore();
      idempotencyClient.destroy();
      rawIdempotencyClient.destroy();
    },
  };
};
