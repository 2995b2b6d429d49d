/**
 * Figure 3, the event path: ECS task state changes for many environments through the
 * task-events handler (middy, Powertools, zod parsing, the use case, the real
 * DynamoEnvironmentStore), against one raw conditional UpdateItem per event, both at the same
 * concurrency. Also counts what each event costs in calls, which DESIGN.md bounds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { environmentKey } from '#adapters/aws/dynamodb/keys';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import type { EnvironmentState } from '#domain/environment';
import type { Principal } from '#domain/principal';
import { lambdaContext } from '#local/gateway';
import { randomIds, systemClock } from '#ports/clock';
import { createTaskEventsHandler } from '#shared/handlers/task-events';
import { createLogger, createMetrics } from '#shared/observability';
import { createEnvironment } from '#use-cases/create-environment';
import { countByCommand, isWrite, type RecordedCall, replay } from './dynamodb-recorder.ts';
import {
  CountingAddressResolver,
  CountingPublisher,
  InstantRuntime,
  NullEnvFiles,
  NullExpiry,
  NullQueue,
  NullSecretValues,
  taskArnFor,
} from './fakes.ts';
import { BENCH_ORG, BENCH_TASK, BENCH_WORKSPACE, type World } from './world.ts';

const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/taskenv-bench';

/** The three events of a task's life that change its environment, in order. */
const PHASES = ['PROVISIONING', 'RUNNING', 'STOPPED'] as const;
type Phase = (typeof PHASES)[number];

/** What the raw side writes for each phase: the state move the handler makes, nothing else. */
const RAW_MOVES: Readonly<Record<Phase, { readonly to: EnvironmentState; readonly from: EnvironmentState }>> =
  {
    PROVISIONING: { to: 'provisioning', from: 'building' },
    RUNNING: { to: 'ready', from: 'provisioning' },
    STOPPED: { to: 'torn_down', from: 'ready' },
  };

export interface PhaseCost {
  readonly phase: Phase;
  readonly events: number;
  /** Mean calls per event. */
  readonly dynamodbReads: number;
  readonly dynamodbWrites: number;
  readonly byCommand: Record<string, number>;
  /** Address lookups (EC2 DescribeNetworkInterfaces on AWS, in public mode). */
  readonly addressLookups: number;
  /** PutEvents calls. */
  readonly publishes: number;
  readonly envFileDeletes: number;
}

export interface EventPathResult {
  readonly environments: number;
  readonly events: number;
  readonly concurrency: number;
  readonly chain: { readonly eventsPerSec: number; readonly seconds: number };
  readonly raw: { readonly eventsPerSec: number; readonly seconds: number };
  /** The handler's own DynamoDB calls, per event, replayed raw at the same concurrency. */
  readonly rawSameCalls: { readonly eventsPerSec: number; readonly seconds: number };
  /** Raw events/s over handler events/s: how many times longer an event takes through taskenv. */
  readonly ratio: number;
  /** The same against {@link rawSameCalls}: taskenv's code alone, the extra reads taken out. */
  readonly ratioSameCalls: number;
  readonly perPhase: readonly PhaseCost[];
  /** Every event made exactly one DynamoDB write and one PutEvents (and one lookup on RUNNING). */
  readonly meetsCallBudget: boolean;
  readonly notes: readonly string[];
}

/** An "ECS Task State Change" as EventBridge delivers it, shaped like the process runtime's. */
const ecsEvent = (environmentId: string, phase: Phase, version: number, hostPort: number): unknown => {
  const taskArn = taskArnFor(environmentId);
  const now = new Date().toISOString();
  const running = phase === 'RUNNING';
  const stopped = phase === 'STOPPED';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '000000000000',
    time: now,
    region: 'us-east-1',
    resources: [taskArn],
    detail: {
      version,
      taskArn,
      clusterArn: CLUSTER_ARN,
      lastStatus: phase,
      desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
      startedBy: environmentId,
      group: `taskenv:${BENCH_ORG}`,
      containers: [
        {
          name: 'web',
          lastStatus: phase === 'PROVISIONING' ? 'PENDING' : phase,
          ...(running
            ? { networkBindings: [{ bindIP: '127.0.0.1', containerPort: 8080, hostPort, protocol: 'tcp' }] }
            : {}),
          ...(stopped ? { exitCode: 143 } : {}),
        },
      ],
      attachments: [],
      createdAt: now,
      updatedAt: now,
      ...(stopped ? { stopCode: 'UserInitiated', stoppedReason: 'taskenv: deleted', stoppedAt: now } : {}),
    },
  };
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The recorded calls of each environment (the one whose id an input names), in the order they started. */
const callsByEnvironment = (calls: readonly RecordedCall[], ids: ReadonlySet<string>) => {
  const grouped = new Map<string, { command: string; inputJson: string; startedAt: number }[]>();
  for (const call of calls) {
    const inputJson = JSON.stringify(call.input);
    const id = inputJson.match(UUID)?.find((candidate) => ids.has(candidate));
    if (id === undefined) throw new Error(`A ${call.command} of the event path names no environment`);
    grouped.set(id, [
      ...(grouped.get(id) ?? []),
      { command: call.command, inputJson, startedAt: call.startedAt },
    ]);
  }
  for (const list of grouped.values()) list.sort((a, b) => a.startedAt - b.startedAt);
  return grouped;
};

/** Runs `work` over `items` with at most `concurrency` in flight. */
const pool = async <T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};

export const measureEventPath = async (
  world: World,
  options: {
    readonly environments: number;
    readonly concurrency: number;
    readonly progress: (line: string) => void;
  },
): Promise<EventPathResult> => {
  const envFiles = new NullEnvFiles();
  const publisher = new CountingPublisher();
  const addresses = new CountingAddressResolver(new LoopbackAddressResolver());
  const createDeps = {
    ...world.stores,
    secretValues: new NullSecretValues(),
    envFiles,
    runtime: new InstantRuntime(),
    expiry: new NullExpiry(),
    publisher,
    checks: new NullQueue(),
    clock: systemClock,
    ids: randomIds,
    executeTokens: new LocalExecuteTokens({ key: randomBytes(32) }),
  };
  const principal: Principal = { keyId: 'bench', org: BENCH_ORG, role: 'admin', workspaces: ['*'] };
  const provision = async (clock = systemClock) =>
    (
      await createEnvironment(
        { principal, org: BENCH_ORG, workspace: BENCH_WORKSPACE, request: { task_ref: BENCH_TASK } },
        { ...createDeps, clock },
      )
    ).record;
  // Real records (hello-http, instruction rendered on RUNNING), built by the create use case.
  const chainIds: string[] = [];
  const rawIds: string[] = [];
  const replayIds: string[] = [];
  for (let i = 0; i < options.environments; i++) {
    const chain = await provision();
    chainIds.push(chain.id);
    rawIds.push((await provision()).id);
    // The replay twin is created at the same instant, so it holds the same timestamps (and
    // expiry): a finalisation's condition names the record's fields as the handler read them.
    const createdAt = new Date(chain.createdAt);
    replayIds.push((await provision({ now: () => createdAt })).id);
  }
  const chainIdSet = new Set(chainIds);
  world.recorder.take();
  publisher.calls = 0;
  envFiles.deletes = 0;

  const handler = createTaskEventsHandler({
    deps: {
      store: world.stores.store,
      addresses,
      publisher,
      envFiles,
      checks: new NullQueue(),
      clock: systemClock,
    },
    logger: createLogger('task-events'),
    metrics: createMetrics('task-events'),
  });

  const perPhase: PhaseCost[] = [];
  let chainSeconds = 0;
  let rawSeconds = 0;
  let replaySeconds = 0;
  for (const [index, phase] of PHASES.entries()) {
    const version = index + 1;
    const events = chainIds.map((id, i) => ecsEvent(id, phase, version, 20_000 + i));
    const move = RAW_MOVES[phase];
    const runChain = async () => {
      const started = performance.now();
      await pool(events, options.concurrency, async (event) => {
        await handler(event, lambdaContext('task-events'));
      });
      chainSeconds += (performance.now() - started) / 1000;
    };
    const runRaw = async () => {
      const started = performance.now();
      await pool(rawIds, options.concurrency, async (id) => {
        await world.rawClient.send(
          new UpdateCommand({
            TableName: world.tableName,
            Key: environmentKey(id),
            UpdateExpression: 'SET #state = :to, #eventVersion = :version, #updatedAt = :now',
            ConditionExpression: '#state = :from AND #eventVersion < :version',
            ExpressionAttributeNames: {
              '#state': 'state',
              '#eventVersion': 'eventVersion',
              '#updatedAt': 'updatedAt',
            },
            ExpressionAttributeValues: {
              ':to': move.to,
              ':from': move.from,
              ':version': version,
              ':now': new Date().toISOString(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
      });
      rawSeconds += (performance.now() - started) / 1000;
    };
    const lookupsBefore = addresses.calls;
    const publishesBefore = publisher.calls;
    const deletesBefore = envFiles.deletes;
    world.recorder.take();
    // Alternate which side runs first, so neither always meets a table the other just warmed.
    if (index % 2 === 0) {
      await runChain();
      await runRaw();
    } else {
      await runRaw();
      await runChain();
    }
    const calls = world.recorder.take();
    world.rawRecorder.take();

    // The calls each environment's event made, sent again for its twin in the replay set.
    const byEnvironment = callsByEnvironment(calls, chainIdSet);
    // The id appears as is and, in the task ARN, without dashes.
    const twin = (json: string, chainId: string, replayId: string) =>
      json
        .replaceAll(chainId, replayId)
        .replaceAll(chainId.replaceAll('-', ''), replayId.replaceAll('-', ''));
    const replays = replayIds.map((replayId, i) =>
      (byEnvironment.get(chainIds[i] ?? '') ?? []).map((c) => ({
        command: c.command,
        input: JSON.parse(twin(c.inputJson, chainIds[i] ?? '', replayId)) as unknown,
      })),
    );
    const replayStarted = performance.now();
    await pool(replays, options.concurrency, async (sequence) => {
      for (const c of sequence) await replay(world.rawClient, c.command, c.input);
    });
    replaySeconds += (performance.now() - replayStarted) / 1000;
    world.rawRecorder.take();
    const n = events.length;
    perPhase.push({
      phase,
      events: n,
      dynamodbReads: calls.filter((c) => !isWrite(c.command)).length / n,
      dynamodbWrites: calls.filter((c) => isWrite(c.command)).length / n,
      byCommand: Object.fromEntries(Object.entries(countByCommand(calls)).map(([k, v]) => [k, v / n])),
      addressLookups: (addresses.calls - lookupsBefore) / n,
      publishes: (publisher.calls - publishesBefore) / n,
      envFileDeletes: (envFiles.deletes - deletesBefore) / n,
    });
  }

  // Every environment must have ended torn_down, or the run timed something other than the path.
  const finals = await Promise.all(chainIds.map((id) => world.stores.store.get(id)));
  const wrong = finals.filter((record) => record?.state !== 'torn_down').length;
  if (wrong > 0) throw new Error(`${wrong} environments did not end torn_down after their events`);
  options.progress(
    `event path: ${chainIds.length * PHASES.length} events each way at concurrency ${options.concurrency}`,
  );

  const total = chainIds.length * PHASES.length;
  const chainRate = total / chainSeconds;
  const rawRate = total / rawSeconds;
  const replayRate = total / replaySeconds;
  return {
    environments: chainIds.length,
    events: total,
    concurrency: options.concurrency,
    chain: { eventsPerSec: chainRate, seconds: chainSeconds },
    raw: { eventsPerSec: rawRate, seconds: rawSeconds },
    rawSameCalls: { eventsPerSec: replayRate, seconds: replaySeconds },
    ratio: rawRate / chainRate,
    ratioSameCalls: replayRate / chainRate,
    perPhase,
    meetsCallBudget: perPhase.every(
      (p) =>
        p.dynamodbWrites === 1 && p.publishes === 1 && p.addressLookups === (p.phase === 'RUNNING' ? 1 : 0),
    ),
    notes: [
      'events shaped like the process runtime emits them (loopback bindings, no ENI); PROVISIONING, RUNNING, STOPPED per environment',
      'handler: createTaskEventsHandler with the real DynamoEnvironmentStore; address resolver loopback, publisher and env files in memory (counted)',
      'raw: one conditional UpdateItem per event (state and version), the write DESIGN.md budgets',
      "raw, same calls: each event's recorded DynamoDB calls replayed in order on a twin environment",
    ],
  };
};
