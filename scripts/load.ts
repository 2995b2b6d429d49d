/**
 * `npm run load`: a bounded load run against a fresh local stack on loopback (`docs/load.md`).
 * Starts the stack in a temp data dir, publishes a one-process task, drives
 * `--connections` closed-loop clients of create → status → list → delete for `--duration`
 * seconds, checks that every environment a 201 named is in the table (and torn down, with the
 * org counter back at zero and no task process left); then fills the workspace with `--seeded`
 * finished environments (10,000 by default; 0 skips) and runs the same load again, so the
 * figures of an empty and of a full workspace sit side by side. Prints them and writes them to
 * `--out`. Exits non-zero on any error or lost record in either run.
 *
 *   npm run load -- --duration 60 --connections 50 --seeded 10000 --out bench/load-results.json
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { localDynamoConfig } from '#local/local-adapters';
import { startLocalStack } from '#local/stack';
import { type LatencyStats, type LoadResult, operations, runLoad, verifyCreated } from '#test/load/driver';
import { seedFinishedEnvironments } from '#test/load/seed';
import { ApiClient, markerSeconds, processesMatching, sleepTask } from '#test/load/stack-client';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '50' },
    seeded: { type: 'string', default: '10000' },
    out: { type: 'string', default: 'bench/load-results.json' },
  },
});
const positive = (name: string, raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer, got '${raw}'`);
  return value;
};
const durationSec = positive('duration', values.duration);
const connections = positive('connections', values.connections);
const seeded = values.seeded === '0' ? 0 : positive('seeded', values.seeded);

// The handlers' own logging is not what is measured; errors still reach the report.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
const dataDir = await mkdtemp(join(tmpdir(), 'taskenv-load-'));
const stackWarnings: string[] = [];
const stack = await startLocalStack({
  // The load measures the stack itself, so no per-key rate limit caps it.
  throttle: null,
  dataDir,
  port: 0,
  examplesDir: join(dataDir, 'no-examples'),
  log: (line) => {
    if (line.startsWith('warn') || line.startsWith('error')) stackWarnings.push(line);
  },
});
let exitCode = 1;
try {
  const api = new ApiClient(stack.apiUrl, stack.apiKey);
  const seconds = markerSeconds();
  const published = await api.request('POST', `/api/v1/org/${stack.org}/tasks`, {
    json: sleepTask('load-sleep', seconds),
  });
  if (published.status !== 201) throw new Error(`publishing the load task failed: ${published.raw}`);

  const documentClient = createDocumentClient(localDynamoConfig(stack.dynamodbEndpoint));
  const stores = dynamoStores(documentClient, { TABLE_NAME: stack.tableName });
  const load = async (label: string) => {
    process.stdout.write(
      `load (${label}): ${connections} connections for ${durationSec} s against ${stack.apiUrl}\n`,
    );
    const result = await runLoad({
      apiUrl: stack.apiUrl,
      apiKey: stack.apiKey,
      org: stack.org,
      workspace: stack.workspace,
      taskRef: 'load-sleep',
      durationSec,
      connections,
    });
    const verification = await verifyCreated(result.createdIds, stores.store);
    return { result, verification };
  };

  const runs = [{ label: 'empty workspace', ...(await load('empty workspace')) }];
  if (seeded > 0) {
    const seedStarted = performance.now();
    await seedFinishedEnvironments(
      documentClient,
      stack.tableName,
      { org: stack.org, workspace: stack.workspace, taskRef: `${stack.org}/load-sleep@1.0.0` },
      seeded,
    );
    process.stdout.write(
      `seeded ${seeded} finished environments in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`,
    );
    const label = `${seeded} environments`;
    runs.push({ label, ...(await load(label)) });
  }

  const live = (await stores.store.listLive()).filter((e) => e.org === stack.org).length;
  const runningCount = (await stores.access.getOrg(stack.org))?.runningCount ?? null;
  const processes = (await processesMatching([`sleep ${seconds}`])).length;
  const lostOf = (v: (typeof runs)[number]['verification']) => v.missing.length + v.notTornDown.length;

  const report = {
    generatedAt: new Date().toISOString(),
    command: `npm run load -- --duration ${durationSec} --connections ${connections} --seeded ${seeded}`,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    runs: runs.map(({ label, result, verification }) => {
      const { createdIds: _ids, ...figures } = result;
      return {
        label,
        ...figures,
        verification: {
          created: verification.created,
          missing: verification.missing.length,
          notTornDown: verification.notTornDown.length,
        },
      };
    }),
    after: { liveAfter: live, runningCountAfter: runningCount, taskProcessesAfter: processes },
    stackWarnings: stackWarnings.length,
  };
  await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);

  const row = (name: string, s: LatencyStats) =>
    `${name.padEnd(8)} ${String(s.count).padStart(7)} ${String(s.errors).padStart(6)} ${s.p50Ms.toFixed(1).padStart(8)} ${s.p90Ms.toFixed(1).padStart(8)} ${s.p99Ms.toFixed(1).padStart(8)} ${s.maxMs.toFixed(1).padStart(8)}`;
  const side = (name: string, pick: (r: LoadResult) => LatencyStats) =>
    `${name.padEnd(8)} ${runs.map(({ result }) => `${pick(result).p50Ms.toFixed(1).padStart(9)} ${pick(result).p99Ms.toFixed(1).padStart(9)}`).join('   ')}`;
  process.stdout.write(
    [
      ...runs.flatMap(({ label, result, verification }) => [
        '',
        `${label}:`,
        `op       requests errors  p50 ms   p90 ms   p99 ms   max ms`,
        ...operations.map((op) => row(op, result.operations[op])),
        row('all', result.overall),
        `${result.requests} requests in ${result.durationSec} s (${result.requestsPerSec}/s), ${result.iterations} iterations, ${result.errors} errors`,
        `table: ${verification.created} created, ${verification.missing.length} missing, ${verification.notTornDown.length} not torn down`,
        ...result.errorSamples.map((e) => `  error: ${e}`),
      ]),
      '',
      `side by side (p50 ms, p99 ms): ${runs.map((r) => r.label).join('  |  ')}`,
      ...operations.map((op) => side(op, (r) => r.operations[op])),
      side('all', (r) => r.overall),
      '',
      `after: live ${live}, org counter ${runningCount}, task processes ${processes}`,
      ...stackWarnings
        .filter((w) => w.startsWith('error'))
        .slice(0, 5)
        .map((w) => `  stack: ${w.slice(0, 400)}`),
      `wrote ${values.out}`,
      '',
    ].join('\n'),
  );
  const clean =
    runs.every(({ result, verification }) => result.errors === 0 && lostOf(verification) === 0) &&
    live === 0 &&
    runningCount === 0 &&
    processes === 0;
  exitCode = clean ? 0 : 1;
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
