/**
 * A cold-start change measured before and after in one run: each function is bundled from this
 * checkout and from another one (the code before the change, e.g. `git archive main | tar -x -C
 * /tmp/before` with `node_modules` linked in), and both are timed with their baseline in the same
 * interleaved rounds (`cold-start.ts`, `compareWith`).
 *
 *   npx tsx bench/cold-start-compare.ts --before /tmp/before [--runs 15] environments-read tasks
 *
 * Prints, per function, before and after over the baseline and after over before, each with its
 * 90 % interval (`compareToFloor`), in wall time (the figure's) and in CPU time (which a busy
 * machine barely moves), and leaves `bench/results.json` alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type ColdStartRow, type ColdStartSample, measureColdStart } from './cold-start.ts';
import { ms } from './report.ts';
import { FLOORS } from './rows.ts';
import { compareToFloor, formatInterval } from './stats.ts';

const { values, positionals } = parseArgs({
  options: { before: { type: 'string' }, runs: { type: 'string', default: '15' } },
  allowPositionals: true,
});
if (values.before === undefined) {
  process.stderr.write('--before <checkout> is required\n');
  process.exit(2);
}
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const workDir = await mkdtemp(join(tmpdir(), 'taskenv-bench-cold-compare-'));
const startLoad = loadavg()[0] ?? 0;
try {
  const rows = await measureColdStart({
    projectRoot,
    workDir,
    runs: Number(values.runs),
    profileRuns: 1,
    ...(positionals.length > 0 ? { only: positionals } : {}),
    compareWith: resolve(values.before),
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  /** Before and after over the baseline, and after over before, on one measure of the samples. */
  const judged = (
    label: string,
    samples: ColdStartRow['samples'],
    measure: (sample: ColdStartSample) => number,
  ): string => {
    const of = (list: readonly ColdStartSample[] = []) => list.map(measure);
    const before = compareToFloor(of(samples.before), of(samples.baseline), FLOORS.coldStartRatio);
    const after = compareToFloor(of(samples.function), of(samples.baseline), FLOORS.coldStartRatio);
    const change = compareToFloor(of(samples.function), of(samples.before), 1);
    return (
      `  ${label}: before ${ms(before.measured)} ${formatInterval(before)} ${before.verdict}; ` +
      `after ${ms(after.measured)} ${formatInterval(after)} ${after.verdict}; ` +
      `baseline ${ms(after.baseline)}; after/before ${formatInterval(change)}\n`
    );
  };
  for (const row of rows) {
    process.stdout.write(
      `${row.function}:\n${judged('wall', row.samples, (s) => s.totalMs)}` +
        judged('CPU', row.samples, (s) => s.cpuMs),
    );
  }
  process.stdout.write(`load average ${startLoad.toFixed(2)} → ${(loadavg()[0] ?? 0).toFixed(2)}\n`);
} finally {
  await rm(workDir, { recursive: true, force: true });
}
