/**
 * Figure 3, the event path: every kind of "ECS Task State Change" the runtimes send, for many
 * environments, through the task-events handler (middy, Powertools, zod parsing, the use case,
 * the real DynamoEnvironmentStore on DynamoDB Local, the real S3 / SQS / EventBridge / EC2
 * adapters on mocked clients). Each event's calls are charged to it ({@link inScope}), and the
 * gate is per event, on the worst event of each kind, reads included: docs/design.md's budget is one
 * conditional DynamoDB write (+ one EC2 call on RUNNING, public mode) + one PutEvents, and any
 * other call (a read, an S3 delete, an SQS message) is over it.
 *
 * Two sequences: Fargate's (ENI attachment, URL mode public, the health check reported by a
 * later RUNNING) and the local runtimes' (loopback port bindings, RUNNING once probes passed).
 * Throughput is reported (info) against the same calls replayed raw on twin environments.
 */
import { homeQuotaShard } from '#adapters/aws/dynamodb/keys';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import type { Principal } from '#domain/principal';
import { lambdaContext } from '#local/gateway';
import type { AddressResolver } from '#ports/address-resolver';
import { type IdGenerator, randomIds, systemClock } from '#ports/clock';
import { createTaskEventsHandler } from '#shared/handlers/task-events';
import { createLogger, createMetrics } from '#shared/observability';
import { createEnvironment } from '#use-cases/create-environment';
import { type AwsCall, mockedAws } from './aws-mocks.ts';
import { inScope } from './call-scope.ts';
import { benchCreateDeps } from './create-deps.ts';
import { isWrite, type RecordedCall, replay } from './dynamodb-recorder.ts';
import {
  type EventKind,
  fargateEvent,
  localEvent,
  localTask,
  SEQUENCES,
  type Shape,
} from './ecs-event-kinds.ts';
import { taskArnFor } from './fakes.ts';
import { BENCH_ORG, BENCH_TASK, BENCH_WORKSPACE, type World } from './world.ts';

/** The worst event of one kind: the most of each call any single event of the kind made. */
export interface EventKindCost {
  readonly shape: Shape;
  readonly kind: string;
  readonly events: number;
  /** Max over the events of this kind, by call (`DynamoDB:GetItem`, `EventBridge:PutEvents` …). */
  readonly maxCalls: Record<string, number>;
  /** The same, fewest: equal to {@link maxCalls} when every event of the kind cost the same. */
  readonly minCalls: Record<string, number>;
  /** Calls of the worst event beyond the budget (`DynamoDB:GetItem` …); empty when within. */
  readonly overBudget: readonly string[];
  readonly withinBudget: boolean;
}

export interface EventPathResult {
  readonly environments: number;
  readonly events: number;
  readonly concurrency: number;
  readonly budget: string;
  readonly perKind: readonly EventKindCost[];
  readonly meetsCallBudget: boolean;
  readonly chain: { readonly eventsPerSec: number; readonly seconds: number };
  /** Each event's recorded calls replayed raw on a twin environment, same concurrency. */
  readonly rawSameCalls: { readonly eventsPerSec: number; readonly seconds: number };
  readonly ratioSameCalls: number;
  readonly notes: readonly string[];
}

export const EVENT_BUDGET =
  '1 conditional DynamoDB write + ≤ 1 PutEvents per event (+ ≤ 1 EC2 call on RUNNING), nothing else';

/** Fresh ids whose home quota shard is `id`'s, so a create of one takes its unit where `id`'s did. */
const sameQuotaShard = (id: string): IdGenerator => ({
  next: () => {
    const shard = homeQuotaShard(id);
    for (;;) {
      const candidate = randomIds.next();
      if (homeQuotaShard(candidate) === shard) return candidate;
    }
  },
});

const missing = (id: string): never => {
  throw new Error(`no local task for environment ${id}`);
};

/** Runs `work` over `items` with at most `concurrency` in flight. */
const pool = async <T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
) => {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) await work(item, i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};

const dynamoName = (call: Pick<RecordedCall, 'command'>) =>
  `DynamoDB:${call.command.replace(/Command$/, '')}`;

/** A DynamoDB write whose input carries a condition (a TransactWrite's items each may). */
const isConditionalWrite = (call: Pick<RecordedCall, 'command' | 'input'>): boolean => {
  if (!isWrite(call.command)) return false;
  const json = JSON.stringify(call.input);
  return json.includes('"ConditionExpression"');
};

/**
 * What of one event's calls lies beyond docs/design.md's budget: one conditional DynamoDB write, one
 * PutEvents, and on RUNNING one EC2 call; every other call (a read, a second write, an S3 or SQS
 * call) is named, in the order made.
 */
export const overBudget = (
  dynamo: readonly Pick<RecordedCall, 'command' | 'input'>[],
  aws: readonly Pick<AwsCall, 'name'>[],
  kind: Pick<EventKind, 'lastStatus'>,
): string[] => {
  const over: string[] = [];
  const allowed = dynamo.findIndex(isConditionalWrite);
  for (const [i, call] of dynamo.entries()) if (i !== allowed) over.push(dynamoName(call));
  let putEvents = 0;
  let ec2 = 0;
  for (const call of aws) {
    if (call.name === 'EventBridge:PutEvents' && putEvents++ === 0) continue;
    if (call.name === 'EC2:DescribeNetworkInterfaces' && kind.lastStatus === 'RUNNING' && ec2++ === 0)
      continue;
    over.push(call.name);
  }
  return over;
};

const groupBy = <T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
};

const tally = (names: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
  return counts;
};

export const measureEventPath = async (
  world: World,
  options: {
    readonly environments: number;
    readonly concurrency: number;
    readonly progress: (line: string) => void;
  },
): Promise<EventPathResult> => {
  const aws = mockedAws();
  try {
    const principal: Principal = { keyId: 'bench', org: BENCH_ORG, role: 'admin', workspaces: ['*'] };
    const provision = async (options: Parameters<typeof benchCreateDeps>[1] = {}) =>
      (
        await createEnvironment(
          { principal, org: BENCH_ORG, workspace: BENCH_WORKSPACE, request: { task_ref: BENCH_TASK } },
          benchCreateDeps(world, options),
        )
      ).record;
    const task = (await world.stores.tasks.listVisible(BENCH_ORG)).find(
      (t) => t.org === BENCH_ORG && t.name === BENCH_TASK,
    );
    if (task === undefined) throw new Error(`the world has no ${BENCH_TASK}`);
    const handlerFor = (addresses: AddressResolver) =>
      createTaskEventsHandler({
        deps: {
          store: world.stores.store,
          addresses,
          publisher: aws.publisher,
          envFiles: aws.envFiles,
          checks: aws.checks,
          clock: systemClock,
        },
        logger: createLogger('task-events'),
        metrics: createMetrics('task-events'),
      });
    const handlers: Record<Shape, ReturnType<typeof createTaskEventsHandler>> = {
      fargate: handlerFor(aws.addresses),
      local: handlerFor(new LoopbackAddressResolver()),
    };

    const perKind: EventKindCost[] = [];
    let chainSeconds = 0;
    let replaySeconds = 0;
    let events = 0;
    let environments = 0;
    for (const shape of ['fargate', 'local'] as const) {
      const chainIds: string[] = [];
      const replayIds: string[] = [];
      for (let i = 0; i < options.environments; i++) {
        const chain = await provision();
        chainIds.push(chain.id);
        // The replay twin is created at the same instant, so it holds the same timestamps (and
        // expiry), and on the same quota shard: a finalisation's condition names the record's
        // fields as the handler read them, and gives the unit back to the chain's shard.
        const createdAt = new Date(chain.createdAt);
        const twin = await provision({ clock: { now: () => createdAt }, ids: sameQuotaShard(chain.id) });
        replayIds.push(twin.id);
      }
      const localTasks = chainIds.map((id, i) =>
        localTask(id, BENCH_ORG, task, { taskArn: taskArnFor(id), firstHostPort: 20_000 + i }),
      );
      environments += chainIds.length * 2;
      world.recorder.take();
      aws.ledger.take();

      for (const [index, kind] of SEQUENCES[shape].entries()) {
        const version = index + 1;
        const scopeOf = (i: number) => `${shape}:${index}:${i}`;
        const started = performance.now();
        await pool(chainIds, options.concurrency, async (id, i) => {
          await inScope(scopeOf(i), () =>
            handlers[shape](
              shape === 'fargate'
                ? fargateEvent(id, BENCH_ORG, kind, version)
                : localEvent(localTasks[i] ?? missing(id), kind),
              lambdaContext('task-events'),
            ),
          );
        });
        chainSeconds += (performance.now() - started) / 1000;
        events += chainIds.length;
        const dynamo = world.recorder.take();
        const awsCalls = aws.ledger.take();
        const dynamoBy = groupBy(dynamo, (c) => c.scope ?? '');
        const awsBy = groupBy(awsCalls, (c) => c.scope ?? '');
        const unscoped = dynamoBy.get('')?.length ?? 0;
        if (unscoped > 0) throw new Error(`${unscoped} DynamoDB calls of the event path outside any event`);

        const perEvent = chainIds.map((_, i) => {
          const d = dynamoBy.get(scopeOf(i)) ?? [];
          const a = awsBy.get(scopeOf(i)) ?? [];
          return {
            dynamo: d,
            aws: a,
            names: [...d.map(dynamoName), ...a.map((c) => c.name)],
            over: overBudget(d, a, kind),
          };
        });
        const allNames = [...new Set(perEvent.flatMap((e) => e.names))].sort();
        const maxCalls: Record<string, number> = {};
        const minCalls: Record<string, number> = {};
        for (const name of allNames) {
          const counts = perEvent.map((e) => e.names.filter((n) => n === name).length);
          maxCalls[name] = Math.max(...counts);
          minCalls[name] = Math.min(...counts);
        }
        const worst = perEvent.reduce((a, b) => (b.over.length > a.over.length ? b : a));
        perKind.push({
          shape,
          kind: kind.label,
          events: chainIds.length,
          maxCalls,
          minCalls,
          overBudget: Object.entries(tally(worst.over)).map(([n, c]) => (c > 1 ? `${c}× ${n}` : n)),
          withinBudget: perEvent.every((e) => e.over.length === 0),
        });

        // The same calls raw, each event's in order, on its twin (info: taskenv's own cost).
        const twin = (json: string, chainId: string, replayId: string) =>
          json
            .replaceAll(chainId, replayId)
            .replaceAll(chainId.replaceAll('-', ''), replayId.replaceAll('-', ''));
        const replays = perEvent.map((e, i) => {
          const chainId = chainIds[i] ?? '';
          const replayId = replayIds[i] ?? '';
          const calls = [
            ...e.dynamo.map((c) => ({
              at: c.startedAt,
              dynamo: c.command,
              name: '',
              error: c.error,
              json: JSON.stringify(c.input),
            })),
            ...e.aws.map((c) => ({
              at: c.at,
              dynamo: '',
              name: c.name,
              error: undefined,
              json: JSON.stringify(c.input),
            })),
          ].sort((x, y) => x.at - y.at);
          return calls.map((c) => ({ ...c, input: JSON.parse(twin(c.json, chainId, replayId)) as unknown }));
        });
        const replayStarted = performance.now();
        await pool(replays, options.concurrency, async (sequence) => {
          for (const c of sequence) {
            // A write the chain saw refused (an event written before its read) is refused again.
            if (c.dynamo !== '')
              await replay(world.rawClient, c.dynamo, c.input).catch((error: unknown) => {
                if (!(error instanceof Error && error.name === c.error)) throw error;
              });
            else await aws.replay({ name: c.name, input: c.input });
          }
        });
        replaySeconds += (performance.now() - replayStarted) / 1000;
        world.rawRecorder.take();
        aws.ledger.take();
      }
      // Every environment must have ended torn_down, or the run timed something other than the path.
      const finals = await Promise.all(chainIds.map((id) => world.stores.store.get(id)));
      const wrong = finals.filter((record) => record?.state !== 'torn_down').length;
      if (wrong > 0)
        throw new Error(`${wrong} ${shape} environments did not end torn_down after their events`);
    }
    options.progress(
      `event path: ${events} events (${perKind.length} kinds) at concurrency ${options.concurrency}`,
    );
    const chainRate = events / chainSeconds;
    const replayRate = events / replaySeconds;
    return {
      environments,
      events,
      concurrency: options.concurrency,
      budget: EVENT_BUDGET,
      perKind,
      meetsCallBudget: perKind.every((k) => k.withinBudget),
      chain: { eventsPerSec: chainRate, seconds: chainSeconds },
      rawSameCalls: { eventsPerSec: replayRate, seconds: replaySeconds },
      ratioSameCalls: replayRate / chainRate,
      notes: [
        'fargate: PROVISIONING, PENDING, RUNNING (health UNKNOWN), RUNNING (HEALTHY), DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED; ENI attachment, URL mode public (EC2 DescribeNetworkInterfaces on a mocked client)',
        'local: PROVISIONING, PENDING, RUNNING (HEALTHY, loopback bindings), STOPPING, STOPPED, as the process and Docker runtimes send them',
        'every call charged to the event whose async context made it; the gate is on the worst event of each kind, reads and every non-budgeted call included',
        "raw, same calls: each event's recorded calls replayed in order on a twin environment (info)",
      ],
    };
  } finally {
    aws.restore();
  }
};
