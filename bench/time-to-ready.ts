/**
 * Figure 4, local time to ready: the whole local stack (`npm start`'s) on a temp data dir,
 * `hello-http` on the process runtime, from the POST that creates an environment to the
 * integration event that announces it `ready` (the moment a client polling `/status` could
 * first see it), at concurrency 1 and at 20 creates at once. Against the raw runtime floor: the
 * same command (`node examples/tasks/hello-http/server.mjs`) spawned directly and polled every
 * 2 ms until its health path answers 200 (what `ready` waits for), the same number at once.
 * docs/design.md's floor is absolute: POST → `ready` under 1 s. `docker-ready.ts` runs the same loop
 * on the Docker runtime, one at a time and without the raw floor (`runtime: 'docker'`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '#adapters/local/free-port';
import { startLocalStack } from '#local/stack';
import {
  compareToFloor,
  compareToLimit,
  type FloorComparison,
  type LimitComparison,
  median,
  percentile,
} from './stats.ts';

export interface ReadyAtConcurrency {
  readonly concurrency: number;
  /** Rounds (concurrency > 1) or pairs (concurrency 1) the comparison is over. */
  readonly rounds: number;
  /** Chain ÷ raw spawn, on per-round medians (reported, no floor of its own); null without the raw side. */
  readonly vsRaw: FloorComparison | null;
  /** The chain's time to ready against docs/design.md's 1 s. */
  readonly limit: LimitComparison;
  readonly chainP50Ms: number;
  readonly chainP95Ms: number;
  readonly rawP50Ms: number | null;
  readonly postP50Ms: number;
  readonly samplesMs: { readonly chain: readonly number[]; readonly raw: readonly number[] };
}

export interface TimeToReadyResult {
  readonly levels: readonly ReadyAtConcurrency[];
  readonly notes: readonly string[];
}

/** The stack logs each integration event as `event  <id> <previous> → <state>`. */
const EVENT_LINE = /^event\s+(\S+)\s+\S+\s+→\s+([a-z_]+)/;
const READY_TIMEOUT_MS = 30_000;

const healthy = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.end();
  });

/** Spawns the task's local command directly and waits until its health path answers. */
const rawStart = async (projectRoot: string): Promise<{ ms: number; child: ChildProcess }> => {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('node', ['examples/tasks/hello-http/server.mjs'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), GREETING: 'Hello' },
    stdio: 'ignore',
  });
  const deadline = started + READY_TIMEOUT_MS;
  while (!(await healthy(port))) {
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The raw hello-http server did not answer on ${port} within ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(2);
  }
  return { ms: performance.now() - started, child };
};

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

export const measureTimeToReady = async (options: {
  readonly projectRoot: string;
  /** Pairs at concurrency 1. */
  readonly single: number;
  /** Rounds at concurrency `concurrency`. */
  readonly rounds: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly limitMs: number;
  readonly progress: (line: string) => void;
  /**
   * `docker`: hello-http as a container of the image the stack builds at start, before any
   * sample; no raw floor is measured (only the process runtime has one). @default 'process'
   */
  readonly runtime?: 'process' | 'docker';
}): Promise<TimeToReadyResult> => {
  const runtime = options.runtime ?? 'process';
  const withRaw = runtime === 'process';
  const dataDir = await mkdtemp(join(tmpdir(), 'taskenv-bench-ready-'));
  const seen = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const log = (line: string) => {
    const match = EVENT_LINE.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) return;
    const key = `${match[1]} ${match[2]}`;
    seen.set(key, performance.now());
    waiting.get(key)?.();
  };
  const eventAt = async (id: string, state: string): Promise<number> => {
    const key = `${id} ${state}`;
    const already = seen.get(key);
    if (already !== undefined) return already;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_TIMEOUT_MS);
      waiting.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    waiting.delete(key);
    const at = seen.get(key);
    if (at === undefined)
      throw new Error(`No '${state}' event for environment ${id} within ${READY_TIMEOUT_MS} ms`);
    return at;
  };

  const stack = await startLocalStack({
    // A benchmark of the stack, not of the per-key rate limit.
    throttle: null,
    dataDir,
    port: 0,
    runtime,
    progress: options.progress,
    examplesDir: join(options.projectRoot, 'examples', 'tasks'),
    log,
    // The reconciler has nothing to do here; keep its timer from landing inside a sample.
    reconcileIntervalMs: 3_600_000,
  });
  try {
    const url = `${stack.apiUrl}/api/v1/org/${stack.org}/ws/${stack.workspace}/environments`;
    const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
    /** One create, timed from the POST to its `ready` event; returns what to clean up. */
    const chainStart = async (): Promise<{ ms: number; postMs: number; id: string }> => {
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ task_ref: 'hello-http' }),
      });
      const answeredAt = performance.now();
      const text = await response.text();
      if (response.status !== 201) throw new Error(`Create answered ${response.status}: ${text}`);
      const id = (JSON.parse(text) as { id?: unknown }).id;
      if (typeof id !== 'string') throw new Error(`Create answered no id: ${text}`);
      const readyAt = await eventAt(id, 'ready');
      return { ms: readyAt - started, postMs: answeredAt - started, id };
    };
    const teardown = async (id: string) => {
      const status = await fetch(`${url}/${id}/status`, { headers });
      const state = ((await status.json()) as { state?: unknown }).state;
      if (state !== 'ready')
        throw new Error(`Environment ${id} announced ready but /status says ${String(state)}`);
      const deleted = await fetch(`${url}/${id}`, { method: 'DELETE', headers });
      await deleted.text();
      if (deleted.status >= 300) throw new Error(`Delete answered ${deleted.status}`);
      await eventAt(id, 'torn_down');
    };
    /** `n` creates at once, then `n` raw starts at once (or the other way round); cleans up after each. */
    const round = async (n: number, chainFirst: boolean) => {
      const chain = async () => {
        const results = await Promise.all(Array.from({ length: n }, chainStart));
        await Promise.all(results.map((r) => teardown(r.id)));
        return results;
      };
      const raw = async () => {
        if (!withRaw) return [];
        const results = await Promise.all(Array.from({ length: n }, () => rawStart(options.projectRoot)));
        await Promise.all(results.map((r) => stopChild(r.child)));
        return results.map((r) => r.ms);
      };
      if (chainFirst) {
        const c = await chain();
        return { chain: c, raw: await raw() };
      }
      const r = await raw();
      return { chain: await chain(), raw: r };
    };

    const levels: ReadyAtConcurrency[] = [];
    const plan: (readonly [number, number])[] = [[1, options.single]];
    if (options.rounds > 0) plan.push([options.concurrency, options.rounds]);
    for (const [concurrency, count] of plan) {
      const chainRounds: number[] = [];
      const rawRounds: number[] = [];
      const chainAll: number[] = [];
      const rawAll: number[] = [];
      const posts: number[] = [];
      for (let i = 0; i < options.warmup + count; i++) {
        const result = await round(concurrency, i % 2 === 0);
        if (i < options.warmup) continue;
        const chainMs = result.chain.map((r) => r.ms);
        chainRounds.push(median(chainMs));
        if (withRaw) rawRounds.push(median(result.raw));
        chainAll.push(...chainMs);
        rawAll.push(...result.raw);
        posts.push(...result.chain.map((r) => r.postMs));
      }
      options.progress(
        `time to ready (${runtime}): ${count} ${concurrency === 1 ? 'environments one at a time' : `rounds of ${concurrency} at once`}${withRaw ? ', each against a raw spawn' : ''}`,
      );
      levels.push({
        concurrency,
        rounds: count,
        vsRaw: withRaw ? compareToFloor(chainRounds, rawRounds, Number.POSITIVE_INFINITY) : null,
        limit: compareToLimit(chainRounds, options.limitMs),
        chainP50Ms: median(chainAll),
        chainP95Ms: percentile(chainAll, 95),
        rawP50Ms: withRaw ? median(rawAll) : null,
        postP50Ms: median(posts),
        samplesMs: { chain: chainAll, raw: rawAll },
      });
    }
    return {
      levels,
      notes: [
        `startLocalStack on a temp data dir, port 0; hello-http via the ${runtime} runtime`,
        'chain: from sending the POST to the `ready` integration event; /status checked to say ready; deleted and torn down after each round',
        'raw: `node examples/tasks/hello-http/server.mjs` spawned directly with PORT set, GET /healthz every 2 ms until 200',
        'concurrency 1: pairs, order alternating; concurrency 20: rounds of 20 at once on each side, intervals over per-round medians',
      ],
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
};
