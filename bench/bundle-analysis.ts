/**
 * What a bundle is made of and where its init time goes, package by package: the byte shares
 * from esbuild's metafile, the shortest import chain to a package, and the profiled costs of a
 * function next to its baseline's (which `init-profile.ts` measures).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { COMPILE, type InitAttribution } from './init-profile.ts';
import { CLIENT_PACKAGES } from './sdk-calls.ts';

export interface PackageShare {
  /** An npm package, or `taskenv:<dir>` for the project's own modules. */
  readonly name: string;
  /** Minified bytes it contributes to the bundle. */
  readonly bytes: number;
}

export interface PackageCost {
  readonly name: string;
  readonly bytes: number;
  /** Profiled time in the package's own functions. */
  readonly runMs: number;
  /** Its byte share of the time spent compiling the bundle. */
  readonly compileMs: number;
  readonly totalMs: number;
}

/** A package's cost in the function next to its cost in the baseline: what the function adds. */
export interface PackageExcess {
  readonly name: string;
  readonly bytes: number;
  readonly baselineBytes: number;
  readonly totalMs: number;
  readonly baselineMs: number;
  readonly excessMs: number;
  /** The project modules through which the entry first reaches the package (shortest import chain). */
  readonly via: readonly string[];
}

/**
 * The shortest chain of imports from `entry` to any module of `pkg`, as the project's own
 * files it passes through (the `node_modules` steps in between say little).
 */
export const importChain = (metafile: Metafile, entry: string, pkg: string): string[] => {
  const parent = new Map<string, string>();
  const queue = [entry];
  const seen = new Set(queue);
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    if (packageOf(current) === pkg) {
      const chain: string[] = [];
      for (let at: string | undefined = current; at !== undefined; at = parent.get(at)) chain.unshift(at);
      return chain.filter((path) => !path.includes('node_modules/'));
    }
    for (const { path } of metafile.inputs[current]?.imports ?? []) {
      if (seen.has(path) || metafile.inputs[path] === undefined) continue;
      seen.add(path);
      parent.set(path, current);
      queue.push(path);
    }
  }
  return [];
};

/** Function costs minus baseline costs, package by package, largest excess first. */
export const excessOverBaseline = (
  costs: readonly PackageCost[],
  baseline: readonly PackageCost[],
  via: (pkg: string) => string[],
): PackageExcess[] => {
  const base = new Map(baseline.map((c) => [c.name, c]));
  return costs
    .map((c) => {
      const b = base.get(c.name);
      return {
        name: c.name,
        bytes: c.bytes,
        baselineBytes: b?.bytes ?? 0,
        totalMs: c.totalMs,
        baselineMs: b?.totalMs ?? 0,
        excessMs: c.totalMs - (b?.totalMs ?? 0),
        via: c.name.startsWith('taskenv:') ? [] : via(c.name),
      };
    })
    .sort((a, b) => b.excessMs - a.excessMs);
};

/**
 * A package's init cost: the profiled time its functions ran, plus a share of compiling the
 * bundle in proportion to its bytes (V8 scans the whole file, so parsing scales with size).
 * The profiler inflates both; the figures rank packages, they do not add up to the median.
 */
export const costBreakdown = (
  attribution: InitAttribution,
  bytes: readonly PackageShare[],
): PackageCost[] => {
  const totalBytes = bytes.reduce((sum, p) => sum + p.bytes, 0);
  const compileMs = attribution.shares.find((s) => s.name === COMPILE)?.ms ?? 0;
  const runMs = new Map(attribution.shares.map((s) => [s.name, s.ms]));
  return bytes
    .map((p) => {
      const ownRun = runMs.get(p.name) ?? 0;
      const ownCompile = totalBytes === 0 ? 0 : (compileMs * p.bytes) / totalBytes;
      return {
        name: p.name,
        bytes: p.bytes,
        runMs: ownRun,
        compileMs: ownCompile,
        totalMs: ownRun + ownCompile,
      };
    })
    .sort((a, b) => b.totalMs - a.totalMs);
};

/** `node_modules/@aws-sdk/client-s3/dist-es/x.js` → `@aws-sdk/client-s3`; own files → `taskenv:shared/domain`. */
export const packageOf = (input: string): string => {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at === -1) {
    const parts = input.split('/');
    return `taskenv:${parts.slice(0, Math.min(2, parts.length - 1)).join('/') || input}`;
  }
  const parts = input.slice(at + marker.length).split('/');
  return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? input);
};

export const bytesByPackage = (metafile: Metafile): PackageShare[] => {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
};

/** Packages with code in the output: `metafile.inputs` also lists modules tree-shaking dropped. */
export const sdkClientsOf = (metafile: Metafile): string[] => {
  const packages = new Set(
    bytesByPackage(metafile)
      .filter((p) => p.bytes > 0)
      .map((p) => p.name),
  );
  return [...new Set(Object.values(CLIENT_PACKAGES))].filter((p) => packages.has(p)).sort();
};

/** Every Lambda entry: the files of `functions/`. */
export const functionEntries = async (projectRoot: string): Promise<string[]> =>
  (await readdir(join(projectRoot, 'functions')))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
