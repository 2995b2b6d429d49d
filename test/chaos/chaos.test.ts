/**
 * The chaos run of issue 7: environments through create → ready → delete or expiry on the local
 * stack (real handlers, DynamoDB Local, process runtime) with faults injected through the
 * ports (`test/support/faults.ts`): refused launches, requests dying before or after RunTask or
 * right after the record, failing stops, and an event path that duplicates, reorders and drops.
 * The reconciler runs in the background meanwhile, as on AWS, and then until it has nothing
 * left to do. What must hold afterwards is `docs/design.md`, "Reliability rules".
 *
 * `CHAOS_ENVIRONMENTS` (default 60; `npm run test:chaos` runs 500), `CHAOS_CONCURRENCY`
 * (default 16) and `CHAOS_SEED` (default random, printed) shape the run.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import {
  environmentListResponseSchema,
  environmentResponseSchema,
  environmentStatusResponseSchema,
} from '#domain/api-schemas';
import { taskPhase } from '#domain/ecs-event';
import { type EnvironmentRecord, isFinal, liveStates } from '#domain/environment';
import { slotIdOf } from '#domain/pool';
import { type LocalStack, startLocalStack } from '#local/stack';
import {
  ApiClient,
  envelopeProblem,
  httpTask,
  markerSeconds,
  pool,
  positiveIntEnv,
  processesMatching,
  sleepTask,
  workspacePath,
} from '#test/load/stack-client';
import { chaosRates, Faults } from '#test/support/faults';
import type { ReconcileConfig } from '#use-cases/reconcile';

const ENVIRONMENTS = positiveIntEnv('CHAOS_ENVIRONMENTS', 60);
const CONCURRENCY = positiveIntEnv('CHAOS_CONCURRENCY', 16);
const SEED = positiveIntEnv('CHAOS_SEED', randomInt(1, 2 ** 31));

/** Short enough that every deadline passes within the run. */
const RECONCILE: Required<ReconcileConfig> = {
  launchDeadlineSec: 6,
  maxLaunchAttempts: 3,
  graceSec: 2,
  strayEnvFileGraceSec: 600,
};
const BACKGROUND_RECONCILE_MS = 1000;
/**
 * Lifetimes of the environments left to expire; the others are deleted, or kept until the end
 * of the run (every {@link KEEP_EVERY}th), and live 10 minutes.
 */
const EXPIRY_SEC = { min: 2, max: 5 } as const;
const DELETED_LIFETIME_SEC = 600;
/** Kept environments are still live once the reconciler has settled, with their task running. */
const KEEP_EVERY = 10;
/** How long a client waits for `ready` before it deletes anyway (a lost RUNNING event). */
const READY_WAIT_MS = 4000;
/** chaos-http is pooled: its creates claim warm tasks while the keeper refills under the same faults. */
const POOL = 'chaos-http@1.0.0';
const POOL_SIZE = 3;
/** Share of background rounds that kill one warm pool task (it stops without taskenv asking). */
const WARM_DEATH_RATE = 0.3;
const WARM_DEATH_REASON = 'injected: warm task died';

interface Plan {
  readonly index: number;
  readonly task: 'sleep' | 'http';
  readonly end: 'delete' | 'expire' | 'keep';
  readonly timeoutSec: number;
}

interface Flow {
  readonly plan: Plan;
  readonly createStatus: number;
  readonly id: string | null;
  readonly sawReady: boolean;
  /** The state the client last saw before it deleted or left the environment (null: no 201). */
  readonly lastState: string | null;
  readonly deleteStatus: number | null;
}

type ReconcileRound = { readonly counts: Record<string, number> } | { readonly error: string };

describe('chaos: environments under injected faults', () => {
  let dataDir: string;
  let stack: LocalStack;
  let api: ApiClient;
  let stores: ReturnType<typeof dynamoStores>;
  const faults = new Faults(chaosRates, SEED);
  const sleepSeconds = markerSeconds();
  const httpMarker = `chaos-${randomBytes(6).toString('hex')}`;
  const needles = [`sleep ${sleepSeconds}`, httpMarker];
  const stackLog: string[] = [];
  const rounds: ReconcileRound[] = [];

  const reconcileOnce = async (): Promise<ReconcileRound> => {
    const round = await stack.reconcile().then(
      (counts) => ({ counts }),
      (error: unknown) => ({ error: String(error) }),
    );
    rounds.push(round);
    return round;
  };

  /** Reconciles until two runs in a row find nothing to do, with every held-back event delivered. */
  const reconcileUntilQuiet = async (): Promise<number> => {
    let quiet = 0;
    for (let run = 1; run <= 60; run += 1) {
      await faults.bus.drain();
      const round = await reconcileOnce();
      const idle = 'counts' in round && Object.values(round.counts).every((n) => n === 0);
      quiet = idle ? quiet + 1 : 0;
      if (quiet === 2) return run;
      await sleep(200);
    }
    throw new Error(`The reconciler did not settle in 60 runs; last: ${JSON.stringify(rounds.slice(-3))}`);
  };

  const liveOfOrg = async (): Promise<EnvironmentRecord[]> =>
    (await stores.store.listLive()).filter((e) => e.org === stack.org);

  beforeAll(async () => {
    // Deferred steps and reconciler errors are the point of this run; keep them off the console.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    dataDir = await mkdtemp(join(tmpdir(), 'taskenv-chaos-'));
    stack = await startLocalStack({
      // The clients measure faults, not the per-key rate limit.
      throttle: null,
      dataDir,
      port: 0,
      // The test runs the reconciler's schedule itself, so it knows when the last run ended.
      reconcileIntervalMs: 24 * 3600 * 1000,
      reconcile: RECONCILE,
      decorate: faults.decorators,
      log: (line) => {
        if (line.startsWith('warn') || line.startsWith('error')) stackLog.push(line);
      },
    });
    api = new ApiClient(stack.apiUrl, stack.apiKey);
    stores = dynamoStores(createDocumentClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1' }), {
      TABLE_NAME: stack.tableName,
    });
    // Environments whose create died answered no id and live until they expire; the quota is
    // not what this run is about.
    await stores.access.putOrg({
      org: stack.org,
      maxConcurrentEnvironments: 100_000,
      maxLifetimeSec: 4 * 3600,
      createdAt: new Date().toISOString(),
    });
    for (const manifest of [sleepTask('chaos-sleep', sleepSeconds), httpTask('chaos-http', httpMarker)]) {
      const published = await api.request('POST', `/api/v1/org/${stack.org}/tasks`, { json: manifest });
      if (published.status !== 201) throw new Error(`Publishing ${manifest.name} failed: ${published.raw}`);
    }
    const pooled = await api.request('PUT', `/api/v1/org/${stack.org}/pools/${POOL}`, {
      json: { size: POOL_SIZE },
    });
    if (pooled.status !== 200) throw new Error(`PUT pool failed: ${pooled.raw}`);
  });

  afterAll(async () => {
    await stack?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    // Stopping the stack stops every task it started; nothing of this run may outlive it.
    expect(await processesMatching(needles)).toEqual([]);
  });

  it(
    `${ENVIRONMENTS} environments end, leak nothing, launch once and keep the org counter exact`,
    async () => {
      // Prepare
      const base = workspacePath(stack.org, stack.workspace);
      const plans: Plan[] = Array.from({ length: ENVIRONMENTS }, (_, index) => {
        const drawn = faults.dice.chance(0.3) ? 'expire' : 'delete';
        const end = index % KEEP_EVERY === 0 ? 'keep' : drawn;
        return {
          index,
          task: faults.dice.chance(0.15) ? 'http' : 'sleep',
          end,
          timeoutSec:
            end === 'expire' ? faults.dice.int(EXPIRY_SEC.min, EXPIRY_SEC.max) : DELETED_LIFETIME_SEC,
        };
      });
      const anomalies: string[] = [];
      const runFlow = async (plan: Plan): Promise<Flow> => {
        const created = await api.request('POST', `${base}/environments`, {
          json: { task_ref: `chaos-${plan.task}`, timeout_sec: plan.timeoutSec },
        });
        const problem = envelopeProblem(created, 'POST');
        if (problem !== null) anomalies.push(`create #${plan.index}: ${problem}`);
        if (created.status !== 201) {
          if (created.status !== 500 && created.status !== 502) {
            anomalies.push(`create #${plan.index}: unexpected ${created.status} ${created.raw}`);
          }
          return {
            plan,
            createStatus: created.status,
            id: null,
            sawReady: false,
            lastState: null,
            deleteStatus: null,
          };
        }
        const { id } = environmentResponseSchema.parse(created.body);
        let sawReady = false;
        let lastState: string = environmentResponseSchema.parse(created.body).state;
        const waitUntil = Date.now() + READY_WAIT_MS;
        while (Date.now() < waitUntil) {
          const status = await api.request('GET', `${base}/environments/${id}/status`);
          if (status.status !== 200) {
            anomalies.push(`status ${id}: ${status.status} ${status.raw}`);
            break;
          }
          const { state } = environmentStatusResponseSchema.parse(status.body);
          lastState = state;
          if (state === 'ready') sawReady = true;
          if (state === 'ready' || isFinal(state)) break;
          await sleep(50);
        }
        if (plan.end !== 'delete')
          return { plan, createStatus: 201, id, sawReady, lastState, deleteStatus: null };
        const deleted = await api.request('DELETE', `${base}/environments/${id}`);
        if (deleted.status !== 200) {
          anomalies.push(`delete ${id}: ${deleted.status} ${deleted.raw}`);
        } else if (!isFinal(environmentResponseSchema.parse(deleted.body).state)) {
          anomalies.push(`delete ${id}: answered a live state: ${deleted.raw}`);
        }
        return { plan, createStatus: 201, id, sawReady, lastState, deleteStatus: deleted.status };
      };

      // Act: the traffic, with the reconciler running every second as the schedule would, until
      // every short lifetime and every launch deadline is behind us; then the final runs.
      let scheduleOn = true;
      let warmKilled = 0;
      const schedule = (async () => {
        while (scheduleOn) {
          await reconcileOnce();
          // The keeper's schedule, racing the claims' nudges; and a warm task that dies on its own.
          await stack.keepPools();
          if (faults.dice.chance(WARM_DEATH_RATE)) {
            const warm = (await stores.poolStore.listSlots(stack.org, POOL)).filter(
              (s) => s.state === 'warm',
            );
            const victim = warm[faults.dice.int(0, Math.max(0, warm.length - 1))];
            if (victim?.taskArn != null) {
              warmKilled += 1;
              await faults.runtime.stop(victim.taskArn, WARM_DEATH_REASON).catch(() => undefined);
            }
          }
          await sleep(BACKGROUND_RECONCILE_MS);
        }
      })();
      const started = Date.now();
      const flows = await pool(plans, CONCURRENCY, runFlow);
      const trafficMs = Date.now() - started;
      await sleep(Math.max(EXPIRY_SEC.max, RECONCILE.launchDeadlineSec) * 1000 + 1000);
      scheduleOn = false;
      await schedule;
      await stack.keepPools();
      const settleRuns = await reconcileUntilQuiet();

      // Assess: nothing live past its deadline, and every live environment has its running task.
      const now = Date.now();
      const live = await liveOfOrg();
      const running = await faults.runtime.listRunning();
      const runningArns = new Set(running.map((t) => t.taskArn));
      const stuck = live
        .filter(
          (e) =>
            (e.expiresAt !== null && Date.parse(e.expiresAt) <= now) ||
            (e.state === 'building' && Date.parse(e.createdAt) + RECONCILE.launchDeadlineSec * 1000 <= now),
        )
        .map((e) => `${e.id} ${e.state} expires ${e.expiresAt}`);
      expect(stuck).toEqual([]);
      const lost = live
        .filter((e) => e.taskArn === null || !runningArns.has(e.taskArn))
        .map((e) => `${e.id} ${e.state}`);
      expect(lost).toEqual([]);
      // A lost RUNNING event costs nothing once the reconciler has run: every live environment
      // whose task runs is ready, with a URL for each of its endpoints.
      const runningByArn = new Map(running.map((t) => [t.taskArn, t]));
      const withRunningTask = live.filter((e) => {
        const task = e.taskArn === null ? undefined : runningByArn.get(e.taskArn);
        return task !== undefined && taskPhase(task) === 'running';
      });
      expect(withRunningTask.length).toBeGreaterThan(0);
      const notReady = withRunningTask
        .filter((e) => {
          const urls = Object.keys(e.serviceUrls ?? {}).sort();
          const endpoints = e.endpoints.map((p) => p.key).sort();
          return e.state !== 'ready' || e.serviceUrls === null || urls.join() !== endpoints.join();
        })
        .map((e) => `${e.id} ${e.state} urls ${JSON.stringify(e.serviceUrls)}`);
      expect(notReady).toEqual([]);
      expect(live.filter((e) => e.state === 'ready')).toHaveLength(
        live.filter((e) => e.taskArn !== null && runningByArn.get(e.taskArn)?.lastStatus === 'RUNNING')
          .length,
      );
      // Pools: no slot claimed twice (nor a task shared by two environments), every claimed slot's
      // task is its environment's, no warm slot without a running task, and no waiting pool task
      // beyond the size (nothing is in flight once the reconciler is quiet).
      const slots = await stores.poolStore.listSlots(stack.org, POOL);
      const slotOfTask = new Map<string, string>();
      for (const [startedBy, arns] of faults.runtime.tasksByStartedBy()) {
        const slotId = slotIdOf(startedBy);
        if (slotId !== null) for (const arn of arns) slotOfTask.set(arn, slotId);
      }
      const created = await Promise.all(
        flows.flatMap((f) => (f.id === null ? [] : [stores.store.get(f.id)])),
      );
      const claimed = created.filter((e) => e?.taskArn != null && slotOfTask.has(e.taskArn));
      expect(new Set(claimed.map((e) => e?.taskArn)).size).toBe(claimed.length);
      for (const environment of claimed) {
        const slot = await stores.poolStore.findSlot(slotOfTask.get(environment?.taskArn ?? '') ?? '');
        expect(slot).toMatchObject({ state: 'claimed', environmentId: environment?.id });
      }
      const liveArns = live.flatMap((e) => (e.taskArn === null ? [] : [e.taskArn]));
      expect(new Set(liveArns).size).toBe(liveArns.length);
      const deadWarm = slots
        .filter((s) => s.state === 'warm' && runningByArn.get(s.taskArn ?? '')?.lastStatus !== 'RUNNING')
        .map((s) => `${s.id} ${s.taskArn}`);
      expect(deadWarm).toEqual([]);
      const waitingSlotArns = new Set(
        slots.filter((s) => s.state === 'starting' || s.state === 'warm').map((s) => s.taskArn),
      );
      const waitingPoolTasks = running.filter(
        (t) => slotIdOf(t.startedBy) !== null && !liveArns.includes(t.taskArn),
      );
      expect(waitingPoolTasks.length).toBeLessThanOrEqual(POOL_SIZE);
      // No orphan: every running task is the task of a live environment (its own, or the pool task it
      // claimed) or of a waiting slot, and every process is one of those tasks.
      const orphans = running
        .filter(
          (t) =>
            !live.some(
              (e) => e.taskArn === t.taskArn && (e.id === t.startedBy || slotIdOf(t.startedBy) !== null),
            ) && !waitingSlotArns.has(t.taskArn),
        )
        .map((t) => `${t.taskArn} startedBy ${t.startedBy}`);
      expect(orphans).toEqual([]);
      expect(await processesMatching(needles)).toHaveLength(running.length);
      // No double launch, and the quota counter is the live count.
      expect(faults.runtime.doubleLaunches()).toEqual([]);
      expect((await stores.access.getOrg(stack.org))?.runningCount).toBe(live.length);
      // The API behaved: only 201 and 502 (refused launch). A create whose record committed before
      // the injected crash answers 201 with that environment (docs/api.md): no 5xx hides a live one.
      expect(anomalies).toEqual([]);
      expect(flows.filter((f) => f.createStatus === 500)).toEqual([]);
      const answered = new Set(flows.map((f) => f.id));
      expect([...faults.store.crashed].filter((id) => !answered.has(id))).toEqual([]);
      expect(faults.bus.failures).toEqual([]);
      // An environment fails only for a fault's sake: a refused launch, or a launch the injected
      // crashes kept from starting until the reconciler gave up. A crash never costs the environment
      // what it needs to be launched again.
      const failed = await listFailed(api, base);
      expect(
        failed.filter((f) => !EXPECTED_FAILURE.test(f.error ?? '')).map((f) => `${f.id}: ${f.error}`),
      ).toEqual([]);

      // Act: a client finds every environment it kept and deletes it; an admin deletes the pool.
      const poolDeleted = await api.request('DELETE', `/api/v1/org/${stack.org}/pools/${POOL}`);
      expect(poolDeleted.status).toBe(204);
      const leftovers = await listLive(api, base);
      const cleanup = await pool(leftovers, CONCURRENCY, (id) =>
        api.request('DELETE', `${base}/environments/${id}`),
      );
      await reconcileUntilQuiet();

      // Assess: nothing is left anywhere.
      expect(cleanup.filter((r) => r.status !== 200).map((r) => r.raw)).toEqual([]);
      expect(await liveOfOrg()).toEqual([]);
      expect(await faults.runtime.listRunning()).toEqual([]);
      expect(await processesMatching(needles)).toEqual([]);
      expect((await stores.access.getOrg(stack.org))?.runningCount).toBe(0);
      expect(faults.runtime.doubleLaunches()).toEqual([]);
      expect(faults.bus.failures).toEqual([]);

      console.info(
        `chaos summary ${JSON.stringify({
          ...(await summary({
            flows,
            leftovers,
            trafficMs,
            settleRuns,
            rounds,
            faults,
            api,
            base,
            stackLog,
          })),
          pool: { claimed: claimed.length, slots: slots.length, warmKilled },
        })}`,
      );
    },
    ENVIRONMENTS * 500 + 90_000,
  );
});

/** The errors of environments that failed because of an injected fault, and only those. */
const EXPECTED_FAILURE = new RegExp(
  [
    '^Launch failed: injected: no Fargate capacity$',
    `^Launch failed: no task started after ${RECONCILE.maxLaunchAttempts} attempts$`,
    `^Launch failed: no task started within ${RECONCILE.launchDeadlineSec} s \\(\\d+ attempts\\)$`,
    '^Launch failed: the environment expired before its task started$',
    // A warm task killed just as a create claimed it: the environment fails like any whose task died.
    `^Task stopped.*: ${WARM_DEATH_REASON}`,
  ].join('|'),
);

/** The workspace's failed environments, through the list route (every page). */
const listFailed = async (api: ApiClient, base: string): Promise<{ id: string; error: string | null }[]> => {
  const failed: { id: string; error: string | null }[] = [];
  for (let page = 1; ; page += 1) {
    const reply = await api.request('GET', `${base}/environments?state=failed&limit=200&page=${page}`);
    if (reply.status !== 200) throw new Error(`list failed: ${reply.status} ${reply.raw}`);
    const list = environmentListResponseSchema.parse(reply.body);
    failed.push(...list.environments);
    if (!list.has_next) return failed;
  }
};

/** Ids of the workspace's live environments, through the list route (every page). */
const listLive = async (api: ApiClient, base: string): Promise<string[]> => {
  const ids: string[] = [];
  const states = liveStates.map((s) => `state=${s}`).join('&');
  for (let page = 1; ; page += 1) {
    const reply = await api.request('GET', `${base}/environments?${states}&limit=200&page=${page}`);
    if (reply.status !== 200) throw new Error(`list failed: ${reply.status} ${reply.raw}`);
    const list = environmentListResponseSchema.parse(reply.body);
    ids.push(...list.environments.map((e) => e.id));
    if (!list.has_next) return ids;
  }
};

/** Outcome counts of the run, for the report. */
const summary = async (run: {
  flows: readonly Flow[];
  leftovers: readonly string[];
  trafficMs: number;
  settleRuns: number;
  rounds: readonly ReconcileRound[];
  faults: Faults;
  api: ApiClient;
  base: string;
  stackLog: readonly string[];
}) => {
  const count = <T>(items: readonly T[], key: (item: T) => string): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
    return counts;
  };
  const all: { state: string; error: string | null }[] = [];
  for (let page = 1; ; page += 1) {
    const reply = await run.api.request('GET', `${run.base}/environments?limit=200&page=${page}`);
    const list = environmentListResponseSchema.parse(reply.body);
    all.push(...list.environments);
    if (!list.has_next) break;
  }
  const reconciled: Record<string, number> = {};
  for (const round of run.rounds) {
    if (!('counts' in round)) continue;
    for (const [kind, n] of Object.entries(round.counts)) reconciled[kind] = (reconciled[kind] ?? 0) + n;
  }
  return {
    seed: run.faults.dice.seed,
    environments: run.flows.length,
    trafficMs: run.trafficMs,
    createStatus: count(run.flows, (f) => String(f.createStatus)),
    sawReady: run.flows.filter((f) => f.sawReady).length,
    // Created, but not ready within the client's wait: by the state the client saw last.
    notReadyInTime: count(
      run.flows.filter((f) => f.createStatus === 201 && !f.sawReady),
      (f) => f.lastState ?? 'none',
    ),
    plannedEnd: count(run.flows, (f) => f.plan.end),
    leftoversDeleted: run.leftovers.length,
    finalStates: count(all, (e) => e.state),
    failures: count(
      all.filter((e) => e.state === 'failed'),
      (e) => (e.error ?? '').replace(/[0-9a-f-]{36}/g, '<id>').replace(/\d+/g, 'N'),
    ),
    injected: {
      ...run.faults.runtime.injected,
      crashesAfterRecord: run.faults.store.crashed.size,
      events: run.faults.bus.counts,
    },
    launchCalls: run.faults.runtime.launchCalls,
    tasksStarted: run.faults.runtime.launchedEnvironments(),
    reconcilerRuns: run.rounds.length,
    reconcilerRunsWithErrors: run.rounds.filter((r) => 'error' in r).length,
    reconciledByCleanRuns: reconciled,
    settleRuns: run.settleRuns,
    stackWarnings: run.stackLog.length,
  };
};
