/**
 * A crash of the local stack, end to end over HTTP: `taskenv dev` as its own process on a temp
 * data dir, 8 creates with `Idempotency-Key`s in flight when the stack is killed with `kill -9`,
 * a restart on the same data dir, the reconciler run until every environment has settled, then
 * Ctrl-C. What a user would see is checked: each key names exactly one environment, every live
 * one answers on its URL as itself, nothing of a final one runs, one DynamoDB Local serves the
 * data dir, and nothing the stack started is left once it stopped. Process runtime (hello-http).
 */
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  type EnvironmentResponse,
  environmentListResponseSchema,
  environmentResponseSchema,
} from '#domain/api-schemas';
import { environmentIdForKey } from '#domain/environment-id';
import {
  type DevProcess,
  interruptStack,
  killGroup as killDev,
  killStack,
  spawnDev,
  startDevProcess,
} from '#test/support/dev-process';
import {
  type ApiTarget,
  apiRequest,
  environmentsUrl,
  makeTempDir,
  parseBody,
  processExists,
  serviceUrl,
} from '#test/support/e2e';
import {
  dynamodbLocalsOf,
  environmentProcesses,
  ledgerProcesses,
  type RecordedProcess,
  stillRuns,
} from '#test/support/leftovers';

const BURST = 8;
const FINAL = new Set(['failed', 'torn_down']);
/** Deadlines for a loaded 2-core machine (an idle one starts the stack in a few seconds). */
const START_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 420_000;
/** The process runtime (hello-http's `local.command`): what /proc shows is the whole task. */
const PROCESS_RUNTIME = ['--runtime', 'process'];

/** Everything this file started, so a failing test still leaves nothing behind. */
const started: DevProcess[] = [];
const dirs: { path: string; remove: () => Promise<void> }[] = [];
const environmentIds = new Set<string>();

afterEach(async () => {
  for (const dev of started.splice(0)) {
    if (dev.child.exitCode === null && dev.child.signalCode === null) {
      await interruptStack(dev, STOP_TIMEOUT_MS).catch(() => undefined);
    }
  }
  // What a failed test found still running is ended here, by the ids and data dirs it created.
  const leftovers = [
    ...(await environmentProcesses(environmentIds)).map((p) => p.pgid),
    ...(await Promise.all(dirs.map((dir) => dynamodbLocalsOf(dir.path)))).flat(),
  ];
  for (const pgid of new Set(leftovers)) killGroup(pgid);
  environmentIds.clear();
  for (const dir of dirs.splice(0)) await dir.remove();
}, 2 * STOP_TIMEOUT_MS);

const killGroup = (pgid: number): void => {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone already.
  }
};

const start = async (dataDir: string, options: { viaNpm?: boolean } = {}): Promise<DevProcess> => {
  const dev = await startDevProcess(dataDir, PROCESS_RUNTIME, { ...options, timeoutMs: START_TIMEOUT_MS });
  started.push(dev);
  const label = `${options.viaNpm === true ? 'npm start' : 'taskenv dev'} #${started.length}`;
  onTestFailed(() => console.error(`--- output of ${label} ---\n${dev.output()}`));
  return dev;
};

const createBody = (i: number) => ({
  task_ref: 'hello-http',
  project_id: 'crash',
  inputs: { name: `key-${i}` },
  timeout_sec: 600,
});

/** One keyed create; a connection the stack dropped (it was killed) answers `null`. */
const keyedCreate = async (
  target: ApiTarget,
  key: string,
  i: number,
): Promise<{ status: number; body: unknown } | null> => {
  try {
    const response = await fetch(environmentsUrl(target), {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${target.apiKey}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': key,
      },
      body: JSON.stringify(createBody(i)),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  } catch {
    return null;
  }
};

/** A client's retry: the same key and body until a 201, through 5xx answers, within the deadline. */
const retryUntilCreated = async (
  target: ApiTarget,
  key: string,
  i: number,
  timeoutMs: number,
): Promise<EnvironmentResponse> => {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = null;
  while (performance.now() < deadline) {
    const answer = await keyedCreate(target, key, i);
    if (answer?.status === 201) return parseBody(environmentResponseSchema, answer.body);
    if (answer !== null && answer.status < 500) {
      throw new Error(`retry of ${key} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    last = answer;
    await sleep(200);
  }
  throw new Error(`retry of ${key} got no 201 within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
};

const listAll = async (target: ApiTarget): Promise<EnvironmentResponse[]> => {
  const answer = await apiRequest(`${environmentsUrl(target)}?limit=100`, target.apiKey);
  if (answer.status !== 200)
    throw new Error(`list answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return parseBody(environmentListResponseSchema, answer.body).environments;
};

/** Runs the reconciler inside the stack (as `taskenv dev invoke reconciler` does). */
const reconcileNow = async (target: ApiTarget): Promise<void> => {
  const response = await fetch(`${target.apiUrl}/_local/invoke/reconciler`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${target.apiKey}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  const payload = (await response.json()) as { error?: { message: string } };
  if (response.status !== 200 || payload.error !== undefined) {
    throw new Error(`reconciler answered ${response.status}: ${JSON.stringify(payload)}`);
  }
};

/**
 * Runs the reconciler until every environment is `ready` or final (it leaves environments
 * younger than its 10 s grace period alone, so this takes at least that long).
 */
const settleAll = async (target: ApiTarget, ids: readonly string[], timeoutMs: number) => {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await reconcileNow(target);
    const environments = await listAll(target);
    const ours = environments.filter((e) => ids.includes(e.id));
    if (ours.length === ids.length && ours.every((e) => e.state === 'ready' || FINAL.has(e.state))) {
      return environments;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `not settled within ${timeoutMs} ms: ${JSON.stringify(ours.map((e) => [e.id, e.state, e.error]))}`,
      );
    }
    await sleep(500);
  }
};

/** Polls `check` until it holds or the deadline passes; answers whether it held. */
const eventually = async (check: () => Promise<boolean>, withinMs: number): Promise<boolean> => {
  const deadline = performance.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(100);
  }
};

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** What a live environment's service says it is: the environment it runs for, its pid. */
const whoami = async (environment: EnvironmentResponse): Promise<{ environment_id: string; pid: number }> => {
  const response = await fetch(`${serviceUrl(environment, 'web')}/whoami`);
  return (await response.json()) as { environment_id: string; pid: number };
};

/**
 * The stack killed while 8 creates are in flight; `killAll` also kills what it started in
 * groups of their own (DynamoDB Local, every task process), as a power cut or an OOM kill of
 * everything would.
 */
const crashAndRecover = async (killAll: boolean) => {
  // Prepare
  const tmp = await makeTempDir('crash');
  dirs.push(tmp);
  const dataDir = tmp.path;
  const first = await start(dataDir);
  const run = randomBytes(4).toString('hex');
  const keys = Array.from({ length: BURST }, (_, i) => `crash-${run}-${i}`);
  for (const key of keys) environmentIds.add(environmentIdForKey(first.org, first.workspace, key));

  // Act: the burst, and the kill as soon as its first answer is in.
  const burst = keys.map((key, i) => keyedCreate(first, key, i));
  await Promise.race(burst);
  await killStack(first);
  const oldDynamodb = first.dynamodbPid;
  const answeredBeforeKill = (await Promise.all(burst)).map((a) =>
    a?.status === 201 ? parseBody(environmentResponseSchema, a.body).id : null,
  );
  const recordedAtKill = await ledgerProcesses(dataDir);
  const runningAtKill = await environmentProcesses(environmentIds);
  const killedAt = performance.now();
  if (killAll) {
    for (const pgid of new Set([oldDynamodb, ...recordedAtKill.map((r) => r.pid)])) killGroup(pgid);
  }
  const restarted = await start(dataDir);
  const restartedAt = performance.now();
  const retried = await Promise.all(keys.map((key, i) => retryUntilCreated(restarted, key, i, 90_000)));
  const retriedAt = performance.now();
  const ids = retried.map((e) => e.id);
  const environments = await settleAll(restarted, ids, 120_000);
  const settledAt = performance.now();
  const live = environments.filter((e) => e.state === 'ready');
  const final = environments.filter((e) => FINAL.has(e.state));
  const answers = await Promise.all(live.map(whoami));
  const running = await environmentProcesses(new Set(ids));
  const recordedNow = await ledgerProcesses(dataDir);
  const finalIds = new Set(final.map((e) => e.id));
  const finalRecorded = [...recordedAtKill, ...recordedNow].filter((r) => finalIds.has(r.environmentId));
  const finalStillRunning = await Promise.all(finalRecorded.map(stillRuns));
  const dynamodbLocals = await dynamodbLocalsOf(dataDir);

  // Assess: after the restart
  console.info(
    `crash (${killAll ? 'everything' : 'stack only'}): ${answeredBeforeKill.filter((a) => a !== null).length} of ${BURST} answered and ${new Set(runningAtKill.map((p) => p.environmentId)).size} had a process before the kill; ` +
      `restart ${(restartedAt - killedAt).toFixed(0)} ms, retries ${(retriedAt - restartedAt).toFixed(0)} ms, settled ${(settledAt - retriedAt).toFixed(0)} ms later: ${live.length} ready, ${final.length} final`,
  );
  expect(new Set(ids).size).toBe(BURST);
  for (const [i, id] of answeredBeforeKill.entries()) if (id !== null) expect(ids[i]).toBe(id);
  expect(environments.map((e) => e.id).sort()).toEqual([...ids].sort());
  expect(live.length + final.length).toBe(BURST);
  expect(answers.map((a) => a.environment_id)).toEqual(live.map((e) => e.id));
  // One process group per live environment, none for a final one.
  for (const environment of live) {
    expect(new Set(running.filter((p) => p.environmentId === environment.id).map((p) => p.pgid)).size).toBe(
      1,
    );
  }
  expect(running.filter((p) => finalIds.has(p.environmentId))).toEqual([]);
  expect(finalStillRunning.every((runs) => !runs)).toBe(true);
  expect(dynamodbLocals).toEqual([restarted.dynamodbPid]);
  expect(dynamodbLocals).not.toContain(oldDynamodb);

  // Act: Ctrl-C
  const stopping = performance.now();
  const code = await interruptStack(restarted, STOP_TIMEOUT_MS);
  console.info(`crash: Ctrl-C took ${(performance.now() - stopping).toFixed(0)} ms`);
  const recordedEver = [...recordedAtKill, ...recordedNow];

  // Assess: nothing left
  expect(code).toBe(0);
  expect(await environmentProcesses(new Set(ids))).toEqual([]);
  expect((await Promise.all(recordedEver.map(stillRuns))).some((runs) => runs)).toBe(false);
  expect(await dynamodbLocalsOf(dataDir)).toEqual([]);
  expect(await exists(join(dataDir, 'stack.json'))).toBe(false);
  const servedBy = new Map(answers.map((a) => [a.environment_id, a.pid]));
  return { environments, runningAtKill, servedBy };
};

describe('a crash of taskenv dev mid-burst', () => {
  it(
    'kill -9 of the stack: keys map to one environment each, live ones answer, then Ctrl-C leaves nothing',
    async () => {
      // The task processes and DynamoDB Local outlive the stack: the restart adopts or ends them.
      const { environments, runningAtKill, servedBy } = await crashAndRecover(false);

      // Assess: what ran when the stack died was adopted: ready, served by that same process.
      const adopted = new Map(runningAtKill.map((p) => [p.environmentId, p.pid]));
      expect(adopted.size).toBeGreaterThan(0);
      for (const [id, pid] of adopted) {
        expect(environments.find((e) => e.id === id)?.state).toBe('ready');
        expect(servedBy.get(id)).toBe(pid);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'kill -9 of everything it started: the reconciler finishes every key, then Ctrl-C leaves nothing',
    async () => {
      await crashAndRecover(true);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('a crash of taskenv dev while DynamoDB Local starts', () => {
  it(
    'the restart stops the emulator the crash left, so one DynamoDB Local serves the data dir',
    async () => {
      // Prepare: killed once its emulator runs, before the stack could use it.
      const tmp = await makeTempDir('crash-ddb');
      dirs.push(tmp);
      const early = spawnDev(tmp.path, PROCESS_RUNTIME);
      let left: number[] = [];
      const emulatorSeen = await eventually(async () => {
        left = await dynamodbLocalsOf(tmp.path);
        return left.length > 0 || early.child.exitCode !== null;
      }, START_TIMEOUT_MS);
      await killDev(early);
      const bannerBeforeKill = early.output().includes('Ctrl-C stops everything.');

      // Act
      const restarted = await start(tmp.path);
      const serving = await dynamodbLocalsOf(tmp.path);
      const code = await interruptStack(restarted, STOP_TIMEOUT_MS);

      // Assess
      expect(emulatorSeen).toBe(true);
      expect(bannerBeforeKill).toBe(false);
      expect(left).toHaveLength(1);
      expect(serving).toEqual([restarted.dynamodbPid]);
      expect(serving).not.toContain(left[0]);
      expect(code).toBe(0);
      expect(await dynamodbLocalsOf(tmp.path)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('Ctrl-C of npm start', () => {
  it(
    'records running environments torn_down, leaves no stack.json and no process',
    async () => {
      // Prepare
      const tmp = await makeTempDir('npm-stop');
      dirs.push(tmp);
      const dataDir = tmp.path;
      const dev = await start(dataDir, { viaNpm: true });
      const keys = ['npm-0', 'npm-1'];
      for (const key of keys) environmentIds.add(environmentIdForKey(dev.org, dev.workspace, key));
      const ids: string[] = [];
      for (const [i, key] of keys.entries()) ids.push((await retryUntilCreated(dev, key, i, 20_000)).id);
      const ready = await eventually(
        async () => (await listAll(dev)).filter((e) => ids.includes(e.id)).every((e) => e.state === 'ready'),
        30_000,
      );
      const recorded: RecordedProcess[] = await ledgerProcesses(dataDir);

      // Act
      await interruptStack(dev, STOP_TIMEOUT_MS);
      // Read the moment npm has exited: the terminal's prompt is back, so the stack must be done.
      const stackLeft = processExists(dev.stackPid);
      const leftProcesses = await environmentProcesses(new Set(ids));
      const leftDynamodb = await dynamodbLocalsOf(dataDir);
      const stackFileLeft = await exists(join(dataDir, 'stack.json'));
      const again = await start(dataDir);
      const after = (await listAll(again)).filter((e) => ids.includes(e.id));

      // Assess
      expect(ready).toBe(true);
      expect(recorded.map((r) => r.environmentId).sort()).toEqual([...ids].sort());
      expect(stackLeft).toBe(false);
      expect(leftProcesses).toEqual([]);
      expect((await Promise.all(recorded.map(stillRuns))).some((runs) => runs)).toBe(false);
      expect(leftDynamodb).toEqual([]);
      expect(stackFileLeft).toBe(false);
      expect(after.map((e) => [e.state, e.error])).toEqual([
        ['torn_down', null],
        ['torn_down', null],
      ]);
      for (const id of ids) expect(dev.output()).toContain(`event  ${id} ready → torn_down`);
    },
    TEST_TIMEOUT_MS,
  );
});
