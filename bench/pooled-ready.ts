/**
 * Figure "pooled time to ready" (docs/design.md, Targets): a create that claims a warm pool task
 * answers `ready` in its 201. Through the local gateway, the authorizer and the
 * environments-create handler on the real DynamoDB adapters:
 * - pooled: the whole request of a create that claims (a warm slot is put in place before each,
 *   outside the clock), against a plain create's (the same task without a pool), alternating;
 *   floor: p50 pooled ≤ 1.2× p50 plain;
 * - cold: the same create without a warm task on a platform slowed to start in 20 s
 *   ({@link SlowStartRuntime}, bench only), from the POST to the `ready` write its RUNNING event
 *   makes, reported as the ratio cold / pooled.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import type { EnvironmentState } from '#domain/environment';
import { serviceEndpoints } from '#domain/instruction';
import { poolName, type SlotRecord } from '#domain/pool';
import { buildServiceUrls } from '#domain/service-urls';
import { type Adapters, composeHandlers } from '#local/compose';
import { createGateway, type Gateway, lambdaContext } from '#local/gateway';
import { randomIds, systemClock } from '#ports/clock';
import type { EnvironmentStateChange, EventPublisher } from '#ports/event-publisher';
import { publishTask } from '#use-cases/tasks';
import { InstantRuntime, NullEnvFiles, NullExpiry, NullQueue, NullSecretValues } from './fakes.ts';
import { idleDataPlane } from './idle-data-plane.ts';
import { SlowStartRuntime } from './slow-start-runtime.ts';
import { compareToFloor, type FloorComparison, median, percentile } from './stats.ts';
import { BENCH_ORG, BENCH_TASK, BENCH_WORKSPACE, type World } from './world.ts';

/** The pooled twin of the bench task: the same manifest under another name. */
const POOLED_TASK = 'hello-pooled';
const SIMULATED_START_MS = 20_000;

export interface PooledReadyResult {
  readonly iterations: number;
  readonly pooled: { readonly p50Ms: number; readonly p95Ms: number };
  readonly plain: { readonly p50Ms: number; readonly p95Ms: number };
  /** p50 pooled over p50 plain with its interval (paired: each round ran one of each); floor 1.2. */
  readonly comparison: FloorComparison;
  /** Cold over pooled with its interval (not paired); reported, no floor. */
  readonly coldComparison: FloorComparison;
  readonly samplesMs: {
    readonly pooled: readonly number[];
    readonly plain: readonly number[];
    readonly cold: readonly number[];
  };
  readonly cold: { readonly environments: number; readonly p50Ms: number; readonly simulatedStartMs: number };
  /** p50 cold time to ready over p50 pooled (which is its time to ready: ready in the 201). */
  readonly coldOverPooled: number;
  readonly notes: readonly string[];
}

/** Resolves when an environment's `ready` is published (the event path wrote it). */
class ReadyWatcher implements EventPublisher {
  readonly #waiting = new Map<string, () => void>();
  readonly #seen = new Set<string>();

  async publish(events: readonly EnvironmentStateChange[]): Promise<void> {
    for (const event of events) {
      if (event.state !== ('ready' satisfies EnvironmentState)) continue;
      this.#seen.add(event.environment_id);
      this.#waiting.get(event.environment_id)?.();
    }
  }

  ready(id: string): Promise<void> {
    if (this.#seen.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }
}

export const measurePooledReady = async (
  world: World,
  options: {
    readonly iterations: number;
    readonly warmup: number;
    readonly coldEnvironments: number;
    readonly floor: number;
    readonly progress: (line: string) => void;
  },
): Promise<PooledReadyResult> => {
  const plainTask = await world.stores.tasks.get(BENCH_ORG, BENCH_TASK, '1.0.0');
  if (plainTask === null) throw new Error(`${BENCH_TASK} is not published in the bench world`);
  const pooledTask = await publishTask(
    {
      principal: { keyId: 'bench', org: BENCH_ORG, role: 'admin', workspaces: ['*'] },
      org: BENCH_ORG,
      manifest: { ...plainTask.manifest, name: POOLED_TASK },
    },
    { tasks: world.stores.tasks, runtime: new InstantRuntime(), clock: systemClock },
  );
  const pool = poolName(pooledTask);
  await world.stores.poolStore.putPool(
    { org: BENCH_ORG, name: pool, taskRef: `${BENCH_ORG}/${pool}`, size: 100 },
    new Date(),
  );

  const watcher = new ReadyWatcher();
  let handlers: ReturnType<typeof composeHandlers> | null = null;
  const slow = new SlowStartRuntime(new InstantRuntime(), {
    startMs: SIMULATED_START_MS,
    onRunning: async (event) => {
      await handlers?.taskEvents(event, lambdaContext('task-events'));
    },
  });
  const adapters = (runtime: Adapters['runtime']): Adapters => ({
    ...world.stores,
    dataPlane: idleDataPlane(world),
    secretValues: new NullSecretValues(),
    envFiles: new NullEnvFiles(),
    checks: new NullQueue(),
    runtime,
    expiry: new NullExpiry(),
    publisher: watcher,
    addresses: new LoopbackAddressResolver(),
    clock: systemClock,
    ids: randomIds,
    executeTokens: new LocalExecuteTokens({ key: randomBytes(32) }),
    // The nudge is one PutEvents on AWS, faked at zero cost like the publisher.
    poolKeeper: { nudge: async () => undefined },
    idempotency: new DynamoDBPersistenceLayer({
      tableName: world.idempotencyTableName,
      awsSdkV3Client: new DynamoDBClient(world.clientConfig),
    }),
  });
  const composeOptions = {
    version: '0.0.0-bench',
    docsAssets: async () => ({ script: '', stylesheet: '' }),
    reconcile: { launchDeadlineSec: 600, maxLaunchAttempts: 3 },
  };
  const fast = composeHandlers(adapters(new InstantRuntime()), composeOptions);
  handlers = composeHandlers(adapters(slow), composeOptions);
  const gatewayOf = (h: ReturnType<typeof composeHandlers>): Gateway =>
    createGateway({ authorizer: h.authorizer, handlers: h.http });
  const fastGateway = gatewayOf(fast);
  const slowGateway = gatewayOf(handlers);

  const post = async (gateway: Gateway, task: string, expected: EnvironmentState): Promise<string> => {
    const response = await gateway.handle({
      method: 'POST',
      path: `/api/v1/org/${BENCH_ORG}/ws/${BENCH_WORKSPACE}/environments`,
      headers: { authorization: `Bearer ${world.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task_ref: task }),
    });
    const body = JSON.parse(response.body) as { id?: string; state?: string };
    if (response.statusCode !== 201 || body.state !== expected || body.id === undefined) {
      throw new Error(`Create of ${task} answered ${response.statusCode} ${response.body}`);
    }
    return body.id;
  };
  const endpoints = serviceEndpoints(pooledTask.manifest);
  const warmSlot = async (): Promise<void> => {
    const id = randomIds.next().replace(/-/g, '').slice(0, 30);
    const now = new Date().toISOString();
    const slot: SlotRecord = {
      id,
      org: BENCH_ORG,
      pool,
      taskRef: `${BENCH_ORG}/${pool}`,
      state: 'warm',
      taskArn: `arn:aws:ecs:us-east-1:000000000000:task/taskenv-bench/${id}`,
      eventVersion: 2,
      endpoints,
      serviceUrls: buildServiceUrls(endpoints, '127.0.0.1', []),
      environmentId: null,
      createdAt: now,
      updatedAt: now,
      retiredReason: null,
    };
    await world.stores.poolStore.createSlot(slot);
  };

  const pooledSamples: number[] = [];
  const plainSamples: number[] = [];
  const time = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  for (let i = 0; i < options.warmup + options.iterations; i++) {
    await warmSlot();
    const pooled = () => time(() => post(fastGateway, POOLED_TASK, 'ready'));
    const plain = () => time(() => post(fastGateway, BENCH_TASK, 'building'));
    // Alternate which goes first, so neither always runs on a JIT or GC state the other left.
    let pooledMs: number;
    let plainMs: number;
    if (i % 2 === 0) {
      pooledMs = await pooled();
      plainMs = await plain();
    } else {
      plainMs = await plain();
      pooledMs = await pooled();
    }
    if (i >= options.warmup) {
      pooledSamples.push(pooledMs);
      plainSamples.push(plainMs);
    }
    world.recorder.take();
  }
  options.progress(`pooled: ${options.iterations} pooled and plain creates after ${options.warmup} warm-up`);

  // Cold: no warm slot (the pool is empty now), the platform takes 20 s; all at once, they only wait.
  options.progress(
    `pooled: ${options.coldEnvironments} cold creates on a ${SIMULATED_START_MS / 1000} s platform start`,
  );
  const coldSamples = await Promise.all(
    Array.from({ length: options.coldEnvironments }, () =>
      time(async () => {
        const id = await post(slowGateway, POOLED_TASK, 'building');
        // Bounded, so a RUNNING that never makes it ready fails the figure instead of hanging it.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`Cold create ${id} not ready ${SIMULATED_START_MS / 1000 + 30} s after its POST`),
              ),
            SIMULATED_START_MS + 30_000,
          );
        });
        await Promise.race([watcher.ready(id), late]).finally(() => clearTimeout(timer));
      }),
    ),
  );
  slow.dispose();

  const pooledP50 = median(pooledSamples);
  const plainP50 = median(plainSamples);
  const coldP50 = median(coldSamples);
  return {
    iterations: options.iterations,
    pooled: { p50Ms: pooledP50, p95Ms: percentile(pooledSamples, 95) },
    plain: { p50Ms: plainP50, p95Ms: percentile(plainSamples, 95) },
    comparison: compareToFloor(pooledSamples, plainSamples, options.floor),
    coldComparison: compareToFloor(coldSamples, pooledSamples, Number.POSITIVE_INFINITY),
    samplesMs: { pooled: pooledSamples, plain: plainSamples, cold: coldSamples },
    cold: { environments: options.coldEnvironments, p50Ms: coldP50, simulatedStartMs: SIMULATED_START_MS },
    coldOverPooled: coldP50 / pooledP50,
    notes: [
      `pooled: POST {"task_ref":"${POOLED_TASK}"} claiming a warm slot put in place before each request (outside the clock)`,
      `plain: POST {"task_ref":"${BENCH_TASK}"}, a version without a pool, launched on an instant runtime`,
      'both through the local gateway, authorizer (no cache) and environments-create handler on DynamoDB Local',
      `cold: the pooled task with no warm slot on a runtime whose RUNNING event comes ${SIMULATED_START_MS / 1000} s after RunTask (bench-only decorator)`,
    ],
  };
};
