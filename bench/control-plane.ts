/**
 * Figure 2, control-plane overhead: one provision through everything API Gateway and Lambda
 * would run (the local gateway, the REQUEST authorizer, the environments-create handler with
 * its middy chain, zod validation and the use case) on the real DynamoDB adapters, against the
 * very DynamoDB calls that provision made, sent raw with the SDK's document client.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import { type Adapters, composeHandlers } from '#local/compose';
import { createGateway, type Gateway } from '#local/gateway';
import { randomIds, systemClock } from '#ports/clock';
import { countByCommand, type RecordedCall, replay, waves } from './dynamodb-recorder.ts';
import {
  CountingPublisher,
  InstantRuntime,
  NullEnvFiles,
  NullExpiry,
  NullQueue,
  NullSecretValues,
} from './fakes.ts';
import { idleDataPlane } from './idle-data-plane.ts';
import { median, percentile } from './stats.ts';
import { BENCH_ORG, BENCH_TASK, BENCH_WORKSPACE, type World } from './world.ts';

export interface LatencySummary {
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface ControlPlaneResult {
  readonly iterations: number;
  readonly warmup: number;
  readonly chain: LatencySummary;
  readonly raw: LatencySummary;
  readonly ratioMedian: number;
  readonly ratioP99: number;
  /** DynamoDB calls of one provision, by operation. */
  readonly callsPerProvision: Record<string, number>;
  /** The same calls in the order and grouping they ran in (calls of a wave ran concurrently). */
  readonly waves: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

const summarise = (samples: readonly number[]): LatencySummary => ({
  medianMs: median(samples),
  p99Ms: percentile(samples, 99),
  minMs: Math.min(...samples),
  maxMs: Math.max(...samples),
});

/** A recorded provision as raw calls, with the environment id to swap for a fresh one each time. */
interface Template {
  readonly environmentId: string;
  readonly waves: readonly (readonly { readonly command: string; readonly inputJson: string }[])[];
}

const toTemplate = (calls: readonly RecordedCall[], environmentId: string): Template => ({
  environmentId,
  waves: waves(calls).map((wave) =>
    wave.map((c) => ({ command: c.command, inputJson: JSON.stringify(c.input) })),
  ),
});

/** The template's inputs for a new environment id, prepared before the clock starts. */
const instantiate = (template: Template) => {
  const id = randomUUID();
  return template.waves.map((wave) =>
    wave.map((c) => ({
      command: c.command,
      input: JSON.parse(c.inputJson.replaceAll(template.environmentId, id)) as unknown,
    })),
  );
};

export const measureControlPlane = async (
  world: World,
  options: {
    readonly iterations: number;
    readonly warmup: number;
    readonly progress: (line: string) => void;
  },
): Promise<ControlPlaneResult> => {
  const publisher = new CountingPublisher();
  const adapters: Adapters = {
    ...world.stores,
    dataPlane: idleDataPlane(world),
    secretValues: new NullSecretValues(),
    envFiles: new NullEnvFiles(),
    runtime: new InstantRuntime(),
    expiry: new NullExpiry(),
    publisher,
    addresses: new LoopbackAddressResolver(),
    checks: new NullQueue(),
    clock: systemClock,
    ids: randomIds,
    executeTokens: new LocalExecuteTokens({ key: randomBytes(32) }),
    // Configured as deployed; the requests send no Idempotency-Key, so it makes no calls.
    idempotency: new DynamoDBPersistenceLayer({
      tableName: world.idempotencyTableName,
      awsSdkV3Client: new DynamoDBClient(world.clientConfig),
    }),
  };
  const handlers = composeHandlers(adapters, {
    version: '0.0.0-bench',
    docsAssets: async () => ({ script: '', stylesheet: '' }),
    reconcile: { launchDeadlineSec: 600, maxLaunchAttempts: 3 },
  });
  // No authorizer cache: every request pays for the authorizer's key lookup, as on a cache miss.
  const gateway: Gateway = createGateway({ authorizer: handlers.authorizer, handlers: handlers.http });
  const body = JSON.stringify({ task_ref: BENCH_TASK });
  const provision = async (): Promise<string> => {
    const response = await gateway.handle({
      method: 'POST',
      path: `/api/v1/org/${BENCH_ORG}/ws/${BENCH_WORKSPACE}/environments`,
      headers: { authorization: `Bearer ${world.apiKey}`, 'content-type': 'application/json' },
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

  // One provision, recorded: which calls it makes, in which waves.
  await provision();
  world.recorder.take();
  const recordedId = await provision();
  const calls = world.recorder.take();
  const template = toTemplate(calls, recordedId);
  const raw = async (prepared: ReturnType<typeof instantiate>): Promise<void> => {
    for (const wave of prepared)
      await Promise.all(wave.map((c) => replay(world.rawClient, c.command, c.input)));
  };

  const chainSamples: number[] = [];
  const rawSamples: number[] = [];
  for (let i = 0; i < options.warmup + options.iterations; i++) {
    const prepared = instantiate(template);
    const timeChain = async () => {
      const started = performance.now();
      await provision();
      return performance.now() - started;
    };
    const timeRaw = async () => {
      const started = performance.now();
      await raw(prepared);
      return performance.now() - started;
    };
    // Alternate which goes first, so neither always runs on a JIT or GC state the other left.
    let chainMs: number;
    let rawMs: number;
    if (i % 2 === 0) {
      chainMs = await timeChain();
      rawMs = await timeRaw();
    } else {
      rawMs = await timeRaw();
      chainMs = await timeChain();
    }
    if (i >= options.warmup) {
      chainSamples.push(chainMs);
      rawSamples.push(rawMs);
    }
    world.recorder.take();
    world.rawRecorder.take();
  }
  options.progress(
    `control plane: ${options.iterations} provisions each way after ${options.warmup} warm-up`,
  );

  const chain = summarise(chainSamples);
  const rawSummary = summarise(rawSamples);
  return {
    iterations: options.iterations,
    warmup: options.warmup,
    chain,
    raw: rawSummary,
    ratioMedian: chain.medianMs / rawSummary.medianMs,
    ratioP99: chain.p99Ms / rawSummary.p99Ms,
    callsPerProvision: countByCommand(calls),
    waves: template.waves.map((wave) => wave.map((c) => c.command)),
    notes: [
      'POST /environments {"task_ref":"hello-http"} through the local gateway, authorizer (no cache) and environments-create handler',
      'idempotency persistence configured, no Idempotency-Key sent (no idempotency-table calls)',
      'runtime, env files, expiry, secrets and publisher faked at zero cost; POWERTOOLS_LOG_LEVEL=WARN',
      'raw: the recorded calls replayed through a plain DynamoDB document client, same waves, fresh environment id',
    ],
  };
};
