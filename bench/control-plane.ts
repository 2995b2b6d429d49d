/**
 * Figure 2, control-plane overhead: one provision through everything API Gateway and Lambda
 * would run ({@link startProvisionBench}) against the very calls that provision made (DynamoDB,
 * the idempotency table, and the AWS calls of launch, env file, schedule, events and execute
 * token on mocked clients), sent raw. Judged twice, on wall time (DynamoDB Local included) and
 * on this Node process's CPU time (`process.cpuUsage`: taskenv's own cost and the SDK's, not
 * DynamoDB Local's, which runs in another process), each without and with `Idempotency-Key`.
 *
 * Also figure 6, creates at concurrency 10 against the same calls raw at concurrency 10.
 */
import { randomUUID } from 'node:crypto';
import { type ProvisionBench, type ProvisionTemplate, startProvisionBench } from './provision.ts';
import { compareToFloor, type FloorComparison, median, percentile } from './stats.ts';
import type { World } from './world.ts';

export interface ControlPlaneVariant {
  readonly idempotencyKey: boolean;
  readonly wall: FloorComparison;
  readonly cpu: FloorComparison;
  readonly wallP99: { readonly chainMs: number; readonly rawMs: number };
  /** Calls one provision makes, by name (`DynamoDB:GetItem`, `ECS:RunTask` …). */
  readonly callsPerProvision: Record<string, number>;
  /** The calls in the order and grouping they ran in. */
  readonly waves: readonly (readonly string[])[];
  readonly samplesMs: { readonly chain: readonly number[]; readonly raw: readonly number[] };
  readonly cpuSamplesMs: { readonly chain: readonly number[]; readonly raw: readonly number[] };
}

export interface ControlPlaneResult {
  readonly iterations: number;
  readonly warmup: number;
  readonly floor: number;
  readonly variants: readonly ControlPlaneVariant[];
  readonly notes: readonly string[];
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

interface Sample {
  wallMs: number;
  cpuMs: number;
}

const measure = async (work: () => Promise<unknown>): Promise<Sample> => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  return { wallMs: performance.now() - started, cpuMs: cpuMs(cpu) };
};

export const measureControlPlane = async (
  world: World,
  options: {
    readonly iterations: number;
    readonly warmup: number;
    readonly floor: number;
    readonly progress: (line: string) => void;
  },
): Promise<ControlPlaneResult> => {
  const bench = startProvisionBench(world);
  try {
    const templates = { plain: await bench.record(false), keyed: await bench.record(true) };
    const samples = {
      plain: { chain: [] as Sample[], raw: [] as Sample[] },
      keyed: { chain: [] as Sample[], raw: [] as Sample[] },
    };
    for (let i = 0; i < options.warmup + options.iterations; i++) {
      const steps: (() => Promise<void>)[] = (['plain', 'keyed'] as const).flatMap((variant) => {
        const template = templates[variant];
        const prepared = bench.prepare(template);
        const key = variant === 'keyed' ? randomUUID() : undefined;
        return [
          async () => {
            const s = await measure(() => bench.provision(key));
            if (i >= options.warmup) samples[variant].chain.push(s);
          },
          async () => {
            const s = await measure(() => bench.replay(prepared));
            if (i >= options.warmup) samples[variant].raw.push(s);
          },
        ];
      });
      // Rotate the order, so no side always runs on the JIT or GC state another left.
      for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]?.();
      bench.clear();
    }
    options.progress(
      `control plane: ${options.iterations} provisions each way (with and without Idempotency-Key) after ${options.warmup} warm-up`,
    );
    const variant = (name: 'plain' | 'keyed', template: ProvisionTemplate): ControlPlaneVariant => {
      const chainWall = samples[name].chain.map((s) => s.wallMs);
      const rawWall = samples[name].raw.map((s) => s.wallMs);
      const chainCpu = samples[name].chain.map((s) => s.cpuMs);
      const rawCpu = samples[name].raw.map((s) => s.cpuMs);
      return {
        idempotencyKey: name === 'keyed',
        wall: compareToFloor(chainWall, rawWall, options.floor),
        cpu: compareToFloor(chainCpu, rawCpu, options.floor),
        wallP99: { chainMs: percentile(chainWall, 99), rawMs: percentile(rawWall, 99) },
        callsPerProvision: template.callsByName,
        waves: template.waves.map((wave) => wave.map((c) => c.command)),
        samplesMs: { chain: chainWall, raw: rawWall },
        cpuSamplesMs: { chain: chainCpu, raw: rawCpu },
      };
    };
    return {
      iterations: options.iterations,
      warmup: options.warmup,
      floor: options.floor,
      variants: [variant('plain', templates.plain), variant('keyed', templates.keyed)],
      notes: [
        'POST /environments {"task_ref":"hello-http"} through the local gateway, authorizer (no cache) and environments-create handler',
        'DynamoDB adapters on DynamoDB Local; ECS, S3, Scheduler, EventBridge, KMS, SQS, EC2 adapters on SDK clients answered by aws-sdk-client-mock (counted)',
        'raw: every recorded call (DynamoDB, idempotency table, mocked AWS) replayed through plain clients, same waves, fresh ids',
        'cpu: process.cpuUsage (user + system) of this Node process around each request; DynamoDB Local is another process',
        'with Idempotency-Key: a fresh key per request (Powertools in-progress and completed writes, the id derived from the key)',
      ],
    };
  } finally {
    bench.stop();
  }
};

export interface CreateConcurrencyResult {
  readonly concurrency: number;
  readonly rounds: number;
  /** On the per-round medians of request latency, paired round by round. */
  readonly comparison: FloorComparison;
  readonly chainP50Ms: number;
  readonly rawP50Ms: number;
  readonly chainP99Ms: number;
  readonly rawP99Ms: number;
  readonly notes: readonly string[];
}

/**
 * `concurrency` creates at once against the same number of raw replays at once, `rounds`
 * times, alternating; each round gives the median latency of its requests on each side.
 */
export const measureCreateConcurrency = async (
  world: World,
  options: {
    readonly concurrency: number;
    readonly rounds: number;
    readonly warmupRounds: number;
    readonly floor: number;
    readonly progress: (line: string) => void;
  },
): Promise<CreateConcurrencyResult> => {
  const bench: ProvisionBench = startProvisionBench(world);
  try {
    const template = await bench.record(false);
    const chainRounds: number[] = [];
    const rawRounds: number[] = [];
    const chainAll: number[] = [];
    const rawAll: number[] = [];
    const round = async (work: () => Promise<unknown>) =>
      Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          const started = performance.now();
          await work();
          return performance.now() - started;
        }),
      );
    for (let r = 0; r < options.warmupRounds + options.rounds; r++) {
      const prepared = Array.from({ length: options.concurrency }, () => bench.prepare(template));
      let next = 0;
      const chain = () => round(() => bench.provision());
      const raw = () => round(() => bench.replay(prepared[next++] ?? []));
      let c: number[];
      let w: number[];
      if (r % 2 === 0) {
        c = await chain();
        w = await raw();
      } else {
        w = await raw();
        c = await chain();
      }
      bench.clear();
      if (r < options.warmupRounds) continue;
      chainRounds.push(median(c));
      rawRounds.push(median(w));
      chainAll.push(...c);
      rawAll.push(...w);
    }
    options.progress(`create at concurrency ${options.concurrency}: ${options.rounds} rounds each way`);
    return {
      concurrency: options.concurrency,
      rounds: options.rounds,
      comparison: compareToFloor(chainRounds, rawRounds, options.floor),
      chainP50Ms: median(chainAll),
      rawP50Ms: median(rawAll),
      chainP99Ms: percentile(chainAll, 99),
      rawP99Ms: percentile(rawAll, 99),
      notes: [
        `${options.concurrency} POSTs at once through the chain, then ${options.concurrency} raw replays of a recorded provision's calls at once (order alternating by round)`,
        'the interval is over the per-round medians, paired round by round',
      ],
    };
  } finally {
    bench.stop();
  }
};
