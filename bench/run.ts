/**
 * `npm run bench`: the figures of docs/design.md "Targets" (and the CLI's), measured in one run on
 * this machine, printed as a table and written to `bench/results.json`. Every floor is judged on
 * a 90 % interval (`bench/stats.ts`): PASS only when the whole interval is inside the floor,
 * FAIL when it is wholly outside, else inconclusive. A missed floor is reported, not fatal: the
 * exit code is non-zero only when a figure could not be measured at all.
 *
 * Options: `--quick` (small samples, for trying the harness: printed, not written, not for
 * quoting), `--only cold,control,create,events,list,ready,docker,execute,pooled,cli`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureCliStartup } from './cli-startup.ts';
import { measureColdStart } from './cold-start.ts';
import { measureControlPlane, measureCreateConcurrency } from './control-plane.ts';
import { measureDockerReady } from './docker-ready.ts';
import { measureEventPath } from './event-path.ts';
import { type ExecuteResult, measureExecute } from './execute.ts';
import { measureList } from './list.ts';
import { measurePooledReady } from './pooled-ready.ts';
import { startProvisionBench } from './provision.ts';
import { describeMachine, kib, ms, renderTable, type TableRow } from './report.ts';
import {
  cliRows,
  coldStartComparison,
  coldStartRows,
  controlPlaneRows,
  createConcurrencyRows,
  dockerReadyRows,
  eventPathRows,
  executeRows,
  FLOORS,
  listRows,
  pooledRows,
  timeToReadyRows,
} from './rows.ts';
import { round } from './stats.ts';
import { measureTimeToReady } from './time-to-ready.ts';
import { startWorld } from './world.ts';

// Quiet handlers (Powertools at WARN, metrics off) and no SDK notice about this Node version.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const FIGURES = [
  'cold',
  'control',
  'create',
  'events',
  'list',
  'ready',
  'docker',
  'execute',
  'pooled',
  'cli',
] as const;
type Figure = (typeof FIGURES)[number];
/** The figures measured in the shared DynamoDB Local world. */
const IN_WORLD: readonly Figure[] = ['control', 'create', 'events', 'pooled', 'list'];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
  strict: true,
});
const only = new Set<string>(values.only === undefined ? FIGURES : values.only.split(','));
const unknown = [...only].filter((name) => !(FIGURES as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`Unknown figure ${unknown.join(', ')}; --only takes ${FIGURES.join(',')}\n`);
  process.exit(2);
}
const selected = (figure: Figure) => only.has(figure);
const settings = values.quick
  ? {
      coldRuns: 3,
      profileRuns: 1,
      provisions: 30,
      warmup: 10,
      createRounds: 6,
      eventEnvironments: 20,
      concurrency: 8,
      listLarge: 1_000,
      listRequests: 20,
      readySingle: 6,
      readyRounds: 2,
      readyWarmup: 1,
      dockerEnvironments: 5,
      pooledCreates: 30,
      coldPooledEnvironments: 2,
      cliRuns: 5,
      executeIterations: 20,
      executeWarmup: 5,
    }
  : {
      coldRuns: 15,
      profileRuns: 3,
      provisions: 200,
      warmup: 50,
      createRounds: 30,
      eventEnvironments: 100,
      concurrency: 8,
      listLarge: 10_000,
      listRequests: 100,
      readySingle: 40,
      readyRounds: 8,
      readyWarmup: 2,
      dockerEnvironments: 40,
      pooledCreates: 200,
      coldPooledEnvironments: 5,
      cliRuns: 30,
      executeIterations: 150,
      executeWarmup: 20,
    };

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
/** Each line carries the seconds since the start, so a slow figure shows where the time went. */
const progress = (line: string) =>
  process.stdout.write(
    `bench: [${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
  );
const machine = await describeMachine();
const errors: { figure: Figure; message: string }[] = [];
progress(
  `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverage.start.toFixed(2)}`,
);

const attempt = async <T>(figure: Figure, work: () => Promise<T>): Promise<T | null> => {
  if (!selected(figure)) return null;
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    errors.push({ figure, message });
    progress(`${figure} failed: ${message}`);
    return null;
  }
};

const coldStart = await attempt('cold', async () => {
  const workDir = await mkdtemp(join(tmpdir(), 'taskenv-bench-cold-'));
  try {
    return await measureColdStart({
      projectRoot,
      workDir,
      runs: settings.coldRuns,
      profileRuns: settings.profileRuns,
      progress,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
});

let controlPlane: Awaited<ReturnType<typeof measureControlPlane>> | null = null;
let createConcurrency: Awaited<ReturnType<typeof measureCreateConcurrency>> | null = null;
let eventPath: Awaited<ReturnType<typeof measureEventPath>> | null = null;
let pooledReady: Awaited<ReturnType<typeof measurePooledReady>> | null = null;
let list: Awaited<ReturnType<typeof measureList>> | null = null;
const worldFigures = IN_WORLD.filter(selected);
const [firstInWorld] = worldFigures;
if (firstInWorld !== undefined) {
  const world = await attempt(firstInWorld, () => startWorld(projectRoot));
  if (world !== null) {
    try {
      controlPlane = await attempt('control', () =>
        measureControlPlane(world, {
          iterations: settings.provisions,
          warmup: settings.warmup,
          floor: FLOORS.controlPlaneRatio,
          progress,
        }),
      );
      createConcurrency = await attempt('create', () =>
        measureCreateConcurrency(world, {
          concurrency: 10,
          rounds: settings.createRounds,
          warmupRounds: 3,
          floor: FLOORS.createConcurrencyRatio,
          progress,
        }),
      );
      eventPath = await attempt('events', () =>
        measureEventPath(world, {
          environments: settings.eventEnvironments,
          concurrency: settings.concurrency,
          progress,
        }),
      );
      pooledReady = await attempt('pooled', () =>
        measurePooledReady(world, {
          iterations: settings.pooledCreates,
          warmup: settings.warmup,
          coldEnvironments: settings.coldPooledEnvironments,
          floor: FLOORS.pooledRatio,
          progress,
        }),
      );
      // Last: the 10,000 environments it seeds would otherwise sit under the other figures.
      list = await attempt('list', async () => {
        const bench = startProvisionBench(world);
        try {
          // One environment in the bench workspace for the seed to clone.
          await bench.provision();
          return await measureList(world, bench.gateway, {
            large: settings.listLarge,
            small: 10,
            requests: settings.listRequests,
            floor: FLOORS.listRatio,
            progress,
          });
        } finally {
          bench.stop();
        }
      });
    } finally {
      await world.stop();
    }
  }
}

const timeToReady = await attempt('ready', () =>
  measureTimeToReady({
    projectRoot,
    single: settings.readySingle,
    rounds: settings.readyRounds,
    concurrency: 20,
    warmup: settings.readyWarmup,
    limitMs: FLOORS.timeToReadyMs,
    progress,
  }),
);

const dockerReady = await attempt('docker', () =>
  measureDockerReady({
    projectRoot,
    environments: settings.dockerEnvironments,
    warmup: settings.readyWarmup,
    limitMs: FLOORS.dockerReadyMs,
    progress,
  }),
);

// As deployed: API Gateway caches the authorizer's answer for 300 s (infra/constructs/api.ts).
const execute = await attempt('execute', async (): Promise<ExecuteResult[]> => {
  const results: ExecuteResult[] = [];
  for (const runtime of ['process', 'docker'] as const) {
    progress(`execute: ${runtime} runtime, ${settings.executeIterations} pairs`);
    results.push(
      await measureExecute({
        runtime,
        iterations: settings.executeIterations,
        warmup: settings.executeWarmup,
        authorizerCacheTtlSec: 300,
      }),
    );
  }
  return results;
});

const cliStartup = await attempt('cli', () =>
  measureCliStartup({ projectRoot, runs: settings.cliRuns, floor: FLOORS.cliStartupRatio, progress }),
);

const rows: TableRow[] = [
  ...(coldStart === null ? [] : coldStartRows(coldStart)),
  ...(controlPlane === null ? [] : controlPlaneRows(controlPlane)),
  ...(createConcurrency === null ? [] : createConcurrencyRows(createConcurrency)),
  ...(eventPath === null ? [] : eventPathRows(eventPath)),
  ...(list === null ? [] : listRows(list)),
  ...(timeToReady === null ? [] : timeToReadyRows(timeToReady)),
  ...(dockerReady === null ? [] : dockerReadyRows(dockerReady)),
  ...(execute === null ? [] : executeRows(execute)),
  ...(pooledReady === null ? [] : pooledRows(pooledReady)),
  ...(cliStartup === null ? [] : cliRows(cliStartup)),
  ...errors.map(
    ({ figure }): TableRow => ({
      figure,
      measured: 'not measured',
      baseline: '—',
      ratio: '—',
      floor: '—',
      verdict: 'ERROR',
    }),
  ),
];

const durationSec = (performance.now() - started) / 1000;
const finishedMachine = { ...machine, loadAverage: { ...machine.loadAverage, end: loadavg()[0] ?? null } };
const count = (verdict: TableRow['verdict']) => rows.filter((r) => r.verdict === verdict).length;

process.stdout.write(`\n${renderTable(rows)}\n\n`);
if (coldStart !== null) {
  process.stdout.write(
    'What each function adds to its baseline at init + first invocation (profiled ms incl. byte share of compile; minified bytes):\n',
  );
  for (const row of coldStart) {
    process.stdout.write(`  ${row.function} (${ms(row.totalMs - row.baselineTotalMs)} over its baseline):\n`);
    // Packages the baseline holds just as much of differ by profiler noise only; leave them out.
    const added = row.excess.filter((e) => e.bytes - e.baselineBytes >= 1024 && e.excessMs >= 1);
    for (const c of added.slice(0, 4)) {
      const via = c.via.length > 0 ? `  via ${c.via.join(' → ')}` : '';
      const added = `+${c.excessMs.toFixed(0)} ms`.padStart(8);
      process.stdout.write(
        `    ${c.name.padEnd(32)}${added}  +${kib(c.bytes - c.baselineBytes).padEnd(9)}${via}\n`,
      );
    }
  }
  process.stdout.write('\n');
}
process.stdout.write(
  `${count('PASS')} passed, ${count('FAIL')} FAILED, ${count('inconclusive')} inconclusive` +
    `${errors.length > 0 ? `, ${errors.length} not measured` : ''}; ` +
    `${durationSec.toFixed(0)} s; load average ${finishedMachine.loadAverage.start.toFixed(2)} → ${(finishedMachine.loadAverage.end ?? 0).toFixed(2)}\n`,
);

/** Samples and intervals, rounded to what the clocks resolve. */
const rounded = (_key: string, value: unknown): unknown =>
  typeof value === 'number' && !Number.isInteger(value) ? round(value, 3) : value;

const results = {
  generatedAt: new Date().toISOString(),
  command: 'npm run bench',
  quick: values.quick,
  durationSec: round(durationSec, 1),
  machine: finishedMachine,
  floors: FLOORS,
  verdicts: { pass: count('PASS'), fail: count('FAIL'), inconclusive: count('inconclusive') },
  table: rows,
  figures: {
    coldStart:
      coldStart === null
        ? null
        : {
            floor: FLOORS.coldStartRatio,
            runsPerBundle: settings.coldRuns,
            measures: 'module init + first invocation, vs a baseline making the same SDK calls',
            worstRatio: round(Math.max(...coldStart.map((r) => r.ratio)), 3),
            functions: coldStart.map((r) => ({
              function: r.function,
              invocation: r.invocation,
              calls: r.calls,
              bytes: r.bytes,
              baselineBytes: r.baselineBytes,
              initMs: round(r.initMs),
              invokeMs: round(r.invokeMs),
              totalMs: round(r.totalMs),
              baselineInitMs: round(r.baselineInitMs),
              baselineInvokeMs: round(r.baselineInvokeMs),
              baselineTotalMs: round(r.baselineTotalMs),
              comparison: coldStartComparison(r),
              sdkClients: r.sdkClients,
              biggestInputs: r.biggestInputs,
              excess: r.excess.map((c) => ({
                ...c,
                totalMs: round(c.totalMs),
                baselineMs: round(c.baselineMs),
                excessMs: round(c.excessMs),
              })),
              costs: r.costs.map((c) => ({
                ...c,
                runMs: round(c.runMs),
                compileMs: round(c.compileMs),
                totalMs: round(c.totalMs),
              })),
              unattributed: r.attribution.shares
                .filter((s) => s.name.startsWith('('))
                .map((s) => ({ name: s.name, ms: round(s.ms) })),
              samplesMs: {
                function: r.samples.function.map((v) => [round(v.initMs), round(v.invokeMs)]),
                baseline: r.samples.baseline.map((v) => [round(v.initMs), round(v.invokeMs)]),
              },
            })),
          },
    controlPlane,
    createConcurrency,
    eventPath,
    list,
    timeToReady,
    dockerReady,
    execute: execute?.map(({ comparison: _comparison, ...result }) => result) ?? null,
    pooledReady,
    cliStartup,
  },
  errors,
};
if (values.quick || values.only !== undefined) {
  // The file holds one whole run: a partial or quick run must not replace it.
  process.stdout.write(`${values.quick ? '--quick' : '--only'}: bench/results.json left as it was\n`);
} else {
  await writeFile(join(projectRoot, 'bench', 'results.json'), `${JSON.stringify(results, rounded, 2)}\n`);
  process.stdout.write('wrote bench/results.json\n');
}
process.exitCode = errors.length > 0 ? 1 : 0;
