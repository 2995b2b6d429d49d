/**
 * Figure 4, local time-to-ready: the whole local stack (`npm start`'s) on a temp data dir,
 * `hello-http` on the process runtime (or, for `docker-ready.ts`, the Docker runtime), from the
 * POST that creates an environment to the
 * integration event that announces it `ready` (the moment a client polling `/status` could
 * first see it). One environment at a time, each deleted and torn down before the next.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '#local/stack';
import { median, percentile } from './stats.ts';

export interface TimeToReadyResult {
  readonly environments: number;
  readonly warmup: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** How long the POST itself took to answer 201. */
  readonly postP50Ms: number;
  readonly samples: readonly number[];
  readonly notes: readonly string[];
}

/** The stack logs each integration event as `event  <id> <previous> → <state>`. */
const EVENT_LINE = /^event\s+(\S+)\s+\S+\s+→\s+([a-z_]+)/;

const READY_TIMEOUT_MS = 15_000;

export const measureTimeToReady = async (options: {
  readonly projectRoot: string;
  readonly environments: number;
  readonly warmup: number;
  readonly progress: (line: string) => void;
  /** With Docker, the stack builds hello-http's image at start, before any sample. @default 'process' */
  readonly runtime?: 'process' | 'docker';
}): Promise<TimeToReadyResult> => {
  const runtime = options.runtime ?? 'process';
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
    const samples: number[] = [];
    const postSamples: number[] = [];
    for (let i = 0; i < options.warmup + options.environments; i++) {
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

      const status = await fetch(`${url}/${id}/status`, { headers });
      const state = ((await status.json()) as { state?: unknown }).state;
      if (state !== 'ready')
        throw new Error(`Environment ${id} announced ready but /status says ${String(state)}`);
      if (i >= options.warmup) {
        samples.push(readyAt - started);
        postSamples.push(answeredAt - started);
      }

      const deleted = await fetch(`${url}/${id}`, { method: 'DELETE', headers });
      await deleted.text();
      if (deleted.status >= 300) throw new Error(`Delete answered ${deleted.status}`);
      await eventAt(id, 'torn_down');
    }
    options.progress(
      `time to ready (${runtime}): ${options.environments} environments after ${options.warmup} warm-up`,
    );
    return {
      environments: options.environments,
      warmup: options.warmup,
      p50Ms: percentile(samples, 50),
      p95Ms: percentile(samples, 95),
      maxMs: Math.max(...samples),
      postP50Ms: median(postSamples),
      samples,
      notes: [
        `startLocalStack on a temp data dir, port 0; hello-http via the ${runtime} runtime; one environment at a time`,
        'from sending the POST to the `ready` integration event; /status checked to say ready; each deleted and torn down before the next',
      ],
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
};
