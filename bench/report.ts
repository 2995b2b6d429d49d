/** The summary table and the machine the figures were measured on. */
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

import { type FloorComparison, formatInterval, type LimitComparison } from './stats.ts';

/**
 * PASS / FAIL / inconclusive come from a 90 % interval (`bench/stats.ts`), or from exact counts
 * (the event path's call budget); `info` rows have no floor.
 */
export type Verdict = 'PASS' | 'FAIL' | 'inconclusive' | 'info' | 'n/a' | 'ERROR';

export interface TableRow {
  readonly figure: string;
  readonly measured: string;
  readonly baseline: string;
  readonly ratio: string;
  /** The 90 % interval the verdict was judged on; `—` where there is none (counts, info). */
  readonly interval?: string;
  readonly floor: string;
  readonly verdict: Verdict;
}

/** A row judged on a ratio floor: `measured ÷ baseline ≤ floor`, the interval printed beside it. */
export const ratioRow = (
  figure: string,
  c: FloorComparison,
  labels: {
    readonly measured?: string;
    readonly baseline?: string;
    readonly unit?: (v: number) => string;
  } = {},
): TableRow => {
  const unit = labels.unit ?? ms;
  return {
    figure,
    measured: labels.measured ?? unit(c.measured),
    baseline: labels.baseline ?? unit(c.baseline),
    ratio: times(c.ratio),
    interval: `${c.low.toFixed(2)}–${c.high.toFixed(2)}×`,
    floor: `≤ ${times(c.floor)}`,
    verdict: c.verdict,
  };
};

/** A row judged on an absolute limit: `statistic < limit`. */
export const limitRow = (
  figure: string,
  c: LimitComparison,
  labels: { readonly baseline?: string; readonly unit?: (v: number) => string } = {},
): TableRow => {
  const unit = labels.unit ?? ms;
  return {
    figure,
    measured: unit(c.value),
    baseline: labels.baseline ?? '—',
    ratio: `${(c.value / c.limit).toFixed(2)}× limit`,
    interval: `${unit(c.low)}–${unit(c.high)}`,
    floor: `< ${unit(c.limit)}`,
    verdict: c.verdict,
  };
};

export { formatInterval };

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews figures. */
  readonly loadAverage: { readonly start: number; readonly end: number | null };
}

export const describeMachine = async (): Promise<Machine> => {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpus: availableParallelism(),
    cpuModel: model.trim(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverage: { start: loadavg()[0] ?? 0, end: null },
  };
};

const HEADERS = ['figure', 'measured', 'baseline', 'ratio', '90 % interval', 'floor', 'verdict'] as const;

/** A Markdown table, padded so it also reads well in a terminal. */
export const renderTable = (rows: readonly TableRow[]): string => {
  const cells = rows.map((r) => [
    r.figure,
    r.measured,
    r.baseline,
    r.ratio,
    r.interval ?? '—',
    r.floor,
    r.verdict,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(HEADERS), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
};

export const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
export const times = (value: number): string => `${value.toFixed(2)}×`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
