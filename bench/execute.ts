/**
 * The execute figure of docs/design.md "Targets": `POST …/execute {"command": "true"}` through the
 * full chain (HTTP, gateway, authorizer, token check, environment read beside the execution's
 * slot, the runtime's exec, the record and the slot back in one transaction) against the raw
 * runtime exec it makes, p50, in one run, interleaved so both sides see the same machine.
 * `tsx bench/execute.ts [--runtime process|docker] [--iterations N] [--authorizer-cache-ttl S]`;
 * prints a JSON line (not written to results.json).
 *
 * A ratio of two medians on a shared machine moves from run to run, so the result carries a
 * bootstrap interval of it (`compareToFloor` in `stats.ts`) and the verdict is PASS or FAIL only when
 * the whole interval is on one side of the floor, else `inconclusive`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { localDynamoConfig } from '#local/local-adapters';
import { startLocalStack } from '#local/stack';
import { buildBusyboxImage, removeTestContainers, removeTestImages } from '#test/support/docker';
import { FLOORS } from './rows.ts';
import {
  compareToFloor,
  type FloorComparison,
  type FloorVerdict,
  median,
  percentile,
  round,
} from './stats.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** docs/design.md "Targets": the full chain ≤ 1.5× the raw exec, p50. */
export const EXECUTE_FLOOR = FLOORS.executeRatio;

export interface ExecuteResult {
  readonly runtime: 'process' | 'docker';
  readonly iterations: number;
  /** The gateway's authorizer cache (API Gateway's is 300 s when deployed; `npm start` has none). */
  readonly authorizerCacheTtlSec: number;
  readonly chainP50Ms: number;
  readonly rawP50Ms: number;
  readonly chainP90Ms: number;
  readonly rawP90Ms: number;
  readonly ratio: number;
  /** The paired bootstrap interval of `ratio` at `intervalLevel`. */
  readonly ratioInterval: readonly [number, number];
  readonly intervalLevel: number;
  readonly floor: number;
  readonly verdict: FloorVerdict;
  /** The comparison itself, for `npm run bench`'s table (`executeRows` in `rows.ts`). */
  readonly comparison: FloorComparison;
  /** The machine's 1-minute load average at the start and the end of the run. */
  readonly loadAverage: readonly [number, number];
}

export const measureExecute = async (options: {
  readonly runtime: 'process' | 'docker';
  readonly iterations: number;
  readonly warmup: number;
  readonly authorizerCacheTtlSec?: number;
}): Promise<ExecuteResult> => {
  const loadAtStart = loadavg()[0] ?? 0;
  const authorizerCacheTtlSec = options.authorizerCacheTtlSec ?? 0;
  const dataDir = await mkdtemp(join(tmpdir(), 'taskenv-bench-exec-'));
  const image = `taskenv-test/busybox-bench:${randomBytes(4).toString('hex')}`;
  if (options.runtime === 'docker') await buildBusyboxImage(image);
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    runtime: options.runtime,
    examplesDir: join(dataDir, 'no-examples'),
    log: () => undefined,
    authorizerCacheTtlMs: authorizerCacheTtlSec * 1000,
  });
  try {
    const headers = { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' };
    const idle = ['sh', '-c', 'exec sleep 3600'];
    const manifest = {
      name: 'bench-exec',
      version: '1.0.0',
      instruction: 'Benchmark.',
      services: {
        box:
          options.runtime === 'docker'
            ? { image, command: idle }
            : { image: 'none', local: { command: ['/bin/sh', '-c', 'exec sleep 3600'] } },
      },
    };
    const published = await fetch(`${stack.apiUrl}/api/v1/org/${stack.org}/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify(manifest),
    });
    if (published.status !== 201) throw new Error(`publish answered ${published.status}`);
    const base = `${stack.apiUrl}/api/v1/org/${stack.org}/ws/${stack.workspace}/environments`;
    const created = (await (
      await fetch(base, { method: 'POST', headers, body: JSON.stringify({ task_ref: 'bench-exec' }) })
    ).json()) as { id: string; execute_token: string };
    const store = new DynamoEnvironmentStore({
      client: createDocumentClient(localDynamoConfig(stack.dynamodbEndpoint)),
      tableName: stack.tableName,
    });
    let taskArn: string | null = null;
    for (let i = 0; i < 200 && taskArn === null; i++) {
      const env = await store.get(created.id);
      if (env?.state === 'ready') taskArn = env.taskArn;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (taskArn === null) throw new Error('the benchmark environment did not become ready');
    const readyArn = taskArn;

    const chain = async (): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${base}/${created.id}/execute`, {
        method: 'POST',
        headers: { ...headers, 'X-Environment-Token': created.execute_token },
        body: JSON.stringify({ command: 'true' }),
      });
      const body = (await response.json()) as { exit_code?: number };
      if (response.status !== 200 || body.exit_code !== 0)
        throw new Error(`execute answered ${response.status}`);
      return performance.now() - started;
    };
    const raw = async (): Promise<number> => {
      const started = performance.now();
      const result = await stack.commands.exec(readyArn, 'box', 'true', { timeoutSec: 30 });
      if (result.exitCode !== 0) throw new Error(`raw exec exited ${result.exitCode}`);
      return performance.now() - started;
    };

    for (let i = 0; i < options.warmup; i++) {
      await chain();
      await raw();
    }
    const chainSamples: number[] = [];
    const rawSamples: number[] = [];
    for (let i = 0; i < options.iterations; i++) {
      // Alternating order, so neither side always runs right after the other.
      if (i % 2 === 0) {
        chainSamples.push(await chain());
        rawSamples.push(await raw());
      } else {
        rawSamples.push(await raw());
        chainSamples.push(await chain());
      }
    }
    const comparison = compareToFloor(chainSamples, rawSamples, EXECUTE_FLOOR);
    return {
      runtime: options.runtime,
      iterations: options.iterations,
      authorizerCacheTtlSec,
      chainP50Ms: round(median(chainSamples)),
      rawP50Ms: round(median(rawSamples)),
      chainP90Ms: round(percentile(chainSamples, 90)),
      rawP90Ms: round(percentile(rawSamples, 90)),
      ratio: round(comparison.ratio),
      ratioInterval: [round(comparison.low), round(comparison.high)],
      intervalLevel: comparison.confidence,
      floor: EXECUTE_FLOOR,
      verdict: comparison.verdict,
      comparison,
      loadAverage: [round(loadAtStart), round(loadavg()[0] ?? 0)],
    };
  } finally {
    await stack.stop();
    if (options.runtime === 'docker') {
      const id = (await readFile(join(dataDir, 'stack-id'), 'utf8').catch(() => '')).trim();
      if (id !== '') await removeTestContainers(id);
      await removeTestImages([image]);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
};

const invokedDirectly = process.argv[1]?.endsWith('bench/execute.ts') === true;
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      runtime: { type: 'string', default: 'process' },
      iterations: { type: 'string', default: '200' },
      'authorizer-cache-ttl': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const runtime = values.runtime === 'docker' ? 'docker' : 'process';
  const iterations = Number(values.iterations);
  const result = await measureExecute({
    runtime,
    iterations,
    warmup: Math.min(20, iterations),
    authorizerCacheTtlSec: Number(values['authorizer-cache-ttl']),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
