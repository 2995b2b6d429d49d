/**
 * `npm run bench`: the four figures of DESIGN.md "Targets", measured in one run on this
 * machine, printed as a table and written to `bench/results.json`. A missed floor is reported,
 * not fatal: the exit code is non-zero only when a figure could not be measured at all.
 *
 * Options: `--quick` (small samples, for trying the harness: printed, not written, not for
 * quoting), `--only cold,control,events,ready,docker,pooled,cli`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureCliStartup } from './cli-startup.ts';
import { type ColdStartRow, coldStartVerdict, measureColdStart } from './cold-start.ts';
import { type ControlPlaneResult, measureControlPlane } from './control-plane.ts';
import { measureDockerReady } from './docker-ready.ts';
import { type EventPathResult, measureEventPath } from './event-path.ts';
import { measurePooledReady, type PooledReadyResult } from './pooled-ready.ts';
import { describeMachine, kib, ms, renderTable, type TableRow, times } from './report.ts';
import { round } from './stats.ts';
import { measureTimeToReady } from './time-to-ready.ts';
import { startWorld } from './world.ts';

// Quiet handlers (Powertools at WARN, metrics off) and no SDK notice about this Node version.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** DESIGN.md "Targets". */
const FLOORS = {
  coldStartRatio: 1.3,
  controlPlaneRatio: 1.5,
  eventPathCalls: '1 conditional write + 1 PutEvents per event (+1 EC2 call on RUNNING)',
  timeToReadyMs: 1000,
  dockerReadyP50Ms: 1500,
  pooledRatio: 1.2,
  cliStartupRatio: 2,
} as const;

const FIGURES = ['cold', 'control', 'events', 'ready', 'docker', 'pooled', 'cli'] as const;
type Figure = (typeof FIGURES)[number];

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
      provisions: 40,
      warmup: 10,
      eventEnvironments: 40,
      concurrency: 8,
      readyEnvironments: 8,
      readyWarmup: 1,
      dockerEnvironments: 5,
      pooledCreates: 40,
      coldPooledEnvironments: 2,
      cliRuns: 5,
    }
  : {
      coldRuns: 15,
      profileRuns: 3,
      provisions: 300,
      warmup: 50,
      eventEnvironments: 300,
      concurrency: 8,
      readyEnvironments: 50,
      readyWarmup: 2,
      dockerEnvironments: 40,
      pooledCreates: 200,
      coldPooledEnvironments: 5,
      cliRuns: 30,
    };

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const progress = (line: string) => process.stdout.write(`bench: ${line}\n`);
const started = performance.now();
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

let controlPlane: ControlPlaneResult | null = null;
let eventPath: EventPathResult | null = null;
let pooledReady: PooledReadyResult | null = null;
if (selected('control') || selected('events') || selected('pooled')) {
  const first =
    FIGURES.find((f) => f !== 'cold' && f !== 'ready' && f !== 'docker' && selected(f)) ?? 'control';
  const world = await attempt(first, () => startWorld(projectRoot));
  if (world !== null) {
    try {
      controlPlane = await attempt('control', () =>
        measureControlPlane(world, { iterations: settings.provisions, warmup: settings.warmup, progress }),
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
          progress,
        }),
      );
    } finally {
      await world.stop();
    }
  }
}

const timeToReady = await attempt('ready', () =>
  measureTimeToReady({
    projectRoot,
    environments: settings.readyEnvironments,
    warmup: settings.readyWarmup,
    progress,
  }),
);

const dockerReady = await attempt('docker', () =>
  measureDockerReady({
    projectRoot,
    environments: settings.dockerEnvironments,
    warmup: settings.readyWarmup,
    progress,
  }),
);

const cliStartup = await attempt('cli', () =>
  measureCliStartup({ projectRoot, runs: settings.cliRuns, progress }),
);

// The table.
const rows: TableRow[] = [];
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
for (const row of coldStart ?? []) rows.push(coldStartRow(row));
if (controlPlane !== null) {
  const cp = controlPlane;
  rows.push({
    figure: 'control plane: provision, median',
    measured: ms(cp.chain.medianMs),
    baseline: ms(cp.raw.medianMs),
    ratio: times(cp.ratioMedian),
    floor: `≤ ${times(FLOORS.controlPlaneRatio)}`,
    verdict: verdict(cp.ratioMedian <= FLOORS.controlPlaneRatio),
  });
  rows.push({
    figure: 'control plane: provision, p99',
    measured: ms(cp.chain.p99Ms),
    baseline: ms(cp.raw.p99Ms),
    ratio: times(cp.ratioP99),
    floor: `≤ ${times(FLOORS.controlPlaneRatio)} (median)`,
    verdict: 'info',
  });
}
if (eventPath !== null) {
  const ep = eventPath;
  rows.push({
    figure: 'event path: throughput',
    measured: `${ep.chain.eventsPerSec.toFixed(0)} events/s`,
    baseline: `${ep.raw.eventsPerSec.toFixed(0)} events/s (1 UpdateItem each)`,
    ratio: times(ep.ratio),
    floor: 'none (calls are budgeted)',
    verdict: 'info',
  });
  rows.push({
    figure: 'event path: vs its own calls raw',
    measured: `${ep.chain.eventsPerSec.toFixed(0)} events/s`,
    baseline: `${ep.rawSameCalls.eventsPerSec.toFixed(0)} events/s (same calls)`,
    ratio: times(ep.ratioSameCalls),
    floor: 'none',
    verdict: 'info',
  });
  const per = (pick: (p: EventPathResult['perPhase'][number]) => number) =>
    ep.perPhase.map((p) => round(pick(p), 2)).join('/');
  rows.push({
    figure: 'event path: calls per event (PROV/RUN/STOP)',
    measured: `writes ${per((p) => p.dynamodbWrites)}, PutEvents ${per((p) => p.publishes)}, EC2 ${per((p) => p.addressLookups)}, reads ${per((p) => p.dynamodbReads)}`,
    baseline: '—',
    ratio: '—',
    floor: FLOORS.eventPathCalls,
    verdict: verdict(ep.meetsCallBudget),
  });
}
if (timeToReady !== null) {
  for (const [label, value] of [
    ['p50', timeToReady.p50Ms],
    ['p95', timeToReady.p95Ms],
  ] as const) {
    rows.push({
      figure: `local time to ready (hello-http), ${label}`,
      measured: ms(value),
      baseline: '—',
      ratio: `${(value / FLOORS.timeToReadyMs).toFixed(2)}× floor`,
      floor: `< ${FLOORS.timeToReadyMs} ms`,
      verdict: verdict(value < FLOORS.timeToReadyMs),
    });
  }
}
if (dockerReady !== null) {
  for (const [label, value, judged] of [
    ['p50', dockerReady.p50Ms, true],
    ['p95', dockerReady.p95Ms, false],
  ] as const) {
    rows.push({
      figure: `local time to ready (hello-http, Docker), ${label}`,
      measured: ms(value),
      baseline: '—',
      ratio: `${(value / FLOORS.dockerReadyP50Ms).toFixed(2)}× floor`,
      floor: `< ${FLOORS.dockerReadyP50Ms} ms${judged ? '' : ' (p50)'}`,
      verdict: judged ? verdict(value < FLOORS.dockerReadyP50Ms) : 'info',
    });
  }
}
if (pooledReady !== null) {
  const pr = pooledReady;
  rows.push({
    figure: 'pooled time to ready: claim vs plain create, p50',
    measured: ms(pr.pooled.p50Ms),
    baseline: `${ms(pr.plain.p50Ms)} (plain create)`,
    ratio: times(pr.ratio),
    floor: `≤ ${times(FLOORS.pooledRatio)}`,
    verdict: verdict(pr.ratio <= FLOORS.pooledRatio),
  });
  rows.push({
    figure: `pooled time to ready: cold (${pr.cold.simulatedStartMs / 1000} s platform) vs pooled, p50`,
    measured: ms(pr.cold.p50Ms),
    baseline: `${ms(pr.pooled.p50Ms)} (pooled, ready in the 201)`,
    ratio: times(pr.coldOverPooled),
    floor: 'none (reported)',
    verdict: 'info',
  });
}
if (cliStartup !== null) {
  for (const [label, value, ratio] of [
    ['taskenv --help', cliStartup.helpMs, cliStartup.helpRatio],
    ['taskenv env list', cliStartup.listMs, cliStartup.listRatio],
  ] as const) {
    rows.push({
      figure: `CLI start-up: ${label}, median`,
      measured: ms(value),
      baseline: `${ms(cliStartup.nodeMs)} (node -e 0)`,
      ratio: times(ratio),
      floor: `≤ ${times(FLOORS.cliStartupRatio)}`,
      verdict: verdict(ratio <= FLOORS.cliStartupRatio),
    });
  }
}
for (const { figure } of errors) {
  rows.push({ figure, measured: 'not measured', baseline: '—', ratio: '—', floor: '—', verdict: 'ERROR' });
}

function coldStartRow(row: ColdStartRow): TableRow {
  const { low, high, confidence } = row.interval;
  return {
    figure: `cold start: ${row.function} (init + first invocation)`,
    measured: `${ms(row.totalMs)} (${ms(row.initMs)} + ${ms(row.invokeMs)}, ${kib(row.bytes)})`,
    baseline: `${ms(row.baselineTotalMs)} (${ms(row.baselineInitMs)} + ${ms(row.baselineInvokeMs)}, ${kib(row.baselineBytes)})`,
    ratio: `${times(row.ratio)} [${low.toFixed(2)}, ${high.toFixed(2)}] ${Math.round(confidence * 100)} %`,
    floor: `≤ ${times(FLOORS.coldStartRatio)}`,
    verdict: coldStartVerdict(row, FLOORS.coldStartRatio),
  };
}

const durationSec = (performance.now() - started) / 1000;
const finishedMachine = { ...machine, loadAverage: { ...machine.loadAverage, end: loadavg()[0] ?? null } };
const passes = rows.filter((r) => r.verdict === 'PASS').length;
const fails = rows.filter((r) => r.verdict === 'FAIL').length;

process.stdout.write(`\n${renderTable(rows)}\n\n`);
if (coldStart !== null) {
  process.stdout.write(
    'What each function adds to its baseline at init (profiled ms incl. byte share of compile; minified bytes):\n',
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
  `${passes} passed, ${fails} FAILED${errors.length > 0 ? `, ${errors.length} not measured` : ''}; ` +
    `${durationSec.toFixed(0)} s; load average ${finishedMachine.loadAverage.start.toFixed(2)} → ${(finishedMachine.loadAverage.end ?? 0).toFixed(2)}\n`,
);

const results = {
  generatedAt: new Date().toISOString(),
  command: 'npm run bench',
  quick: values.quick,
  durationSec: round(durationSec, 1),
  machine: finishedMachine,
  floors: FLOORS,
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
              bytes: r.bytes,
              invocation: r.invocation,
              calls: r.calls,
              initMs: round(r.initMs),
              invokeMs: round(r.invokeMs),
              totalMs: round(r.totalMs),
              baselineBytes: r.baselineBytes,
              baselineInitMs: round(r.baselineInitMs),
              baselineInvokeMs: round(r.baselineInvokeMs),
              baselineTotalMs: round(r.baselineTotalMs),
              ratio: round(r.ratio, 3),
              interval: { ...r.interval, low: round(r.interval.low, 3), high: round(r.interval.high, 3) },
              verdict: coldStartVerdict(r, FLOORS.coldStartRatio),
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
    controlPlane:
      controlPlane === null
        ? null
        : {
            floor: FLOORS.controlPlaneRatio,
            pass: controlPlane.ratioMedian <= FLOORS.controlPlaneRatio,
            ...controlPlane,
          },
    eventPath:
      eventPath === null
        ? null
        : { floor: FLOORS.eventPathCalls, pass: eventPath.meetsCallBudget, ...eventPath },
    pooledReady:
      pooledReady === null
        ? null
        : { floor: FLOORS.pooledRatio, pass: pooledReady.ratio <= FLOORS.pooledRatio, ...pooledReady },
    timeToReady:
      timeToReady === null
        ? null
        : {
            floorMs: FLOORS.timeToReadyMs,
            ratioP95: round(timeToReady.p95Ms / FLOORS.timeToReadyMs, 3),
            pass: timeToReady.p95Ms < FLOORS.timeToReadyMs,
            ...timeToReady,
            samples: timeToReady.samples.map((v) => round(v)),
          },
    dockerReady:
      dockerReady === null
        ? null
        : {
            floorP50Ms: FLOORS.dockerReadyP50Ms,
            pass: dockerReady.p50Ms < FLOORS.dockerReadyP50Ms,
            ...dockerReady,
            samples: dockerReady.samples.map((v) => round(v)),
          },
    cliStartup:
      cliStartup === null
        ? null
        : {
            floorRatio: FLOORS.cliStartupRatio,
            pass: Math.max(cliStartup.helpRatio, cliStartup.listRatio) <= FLOORS.cliStartupRatio,
            runs: cliStartup.runs,
            nodeMs: round(cliStartup.nodeMs),
            helpMs: round(cliStartup.helpMs),
            listMs: round(cliStartup.listMs),
            helpRatio: round(cliStartup.helpRatio, 3),
            listRatio: round(cliStartup.listRatio, 3),
          },
  },
  errors,
};
if (values.quick || values.only !== undefined) {
  // The file holds one whole run: a partial or quick run must not replace it.
  process.stdout.write(`${values.quick ? '--quick' : '--only'}: bench/results.json left as it was\n`);
} else {
  await writeFile(join(projectRoot, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write('wrote bench/results.json\n');
}
process.exitCode = errors.length > 0 ? 1 : 0;
