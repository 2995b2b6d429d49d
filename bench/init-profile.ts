/**
 * Where a bundle's module init goes: the import is run under V8's sampling profiler and every
 * sample is charged, through the bundle's source map, to the npm package (or taskenv folder)
 * of the innermost bundled function on the stack. Native work a function triggers (a RegExp
 * compile, a built-in `require`) is charged to that function's package.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { packageOf } from './bundle-analysis.ts';

const run = promisify(execFile);

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Buckets for samples no bundled function accounts for. */
export const COMPILE = '(compile: parsing the bundle)';
export const MODULE_SCOPE = '(module scope: top-level statements)';
export const GC = '(garbage collector)';
export const RUNTIME = '(node runtime)';

export interface InitShare {
  readonly name: string;
  /** Mean profiled milliseconds per import (the profiler itself adds some). */
  readonly ms: number;
}

export interface InitAttribution {
  readonly profiledMs: number;
  readonly shares: readonly InitShare[];
}

const isProfile = (value: unknown): value is CpuProfile =>
  typeof value === 'object' &&
  value !== null &&
  'nodes' in value &&
  'samples' in value &&
  'timeDeltas' in value;

/** Charges one profile's samples to packages. */
const attribute = (
  profile: CpuProfile,
  bundleUrl: string,
  origin: (line: number, column: number) => string | null,
  into: Map<string, number>,
): void => {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const bucketOf = new Map<number, string>();
  const bucket = (id: number): string => {
    const cached = bucketOf.get(id);
    if (cached !== undefined) return cached;
    let sawModuleScope = false;
    let sawCompile = false;
    let result: string | null = null;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined) break;
      if (frame.functionName === '(garbage collector)') {
        result = GC;
        break;
      }
      if (frame.url === bundleUrl) {
        if (frame.lineNumber === 0 && frame.columnNumber === 0) {
          sawModuleScope = true;
          continue;
        }
        result = origin(frame.lineNumber, frame.columnNumber);
        if (result !== null) break;
      }
      if (frame.functionName === 'compileSourceTextModule') sawCompile = true;
    }
    const name = result ?? (sawModuleScope ? MODULE_SCOPE : sawCompile ? COMPILE : RUNTIME);
    bucketOf.set(id, name);
    return name;
  };
  profile.samples.forEach((id, i) => {
    const name = bucket(id);
    into.set(name, (into.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
};

/**
 * Profiles `runs` fresh imports of `bundle` (which must have its `.map` next to it), and the
 * first invocation when `args` names an event, with the same timer script and environment as
 * the timing runs.
 */
export const profileInit = async (input: {
  readonly bundle: string;
  readonly timer: string;
  readonly env: Record<string, string>;
  readonly projectRoot: string;
  readonly runs: number;
  /** Extra arguments of each run's timer (the first invocation's event), made fresh per run. */
  readonly args?: () => Promise<readonly string[]>;
}): Promise<InitAttribution> => {
  const mapFile = `${input.bundle}.map`;
  const payload = JSON.parse(await readFile(mapFile, 'utf8')) as SourceMapPayload;
  const map = new SourceMap(payload);
  const origin = (line: number, column: number): string | null => {
    const entry = map.findEntry(line, column);
    if (!('originalSource' in entry)) return null;
    const source = resolve(dirname(mapFile), entry.originalSource.replace(/^file:\/\//, ''));
    return packageOf(relative(input.projectRoot, source));
  };
  const bundleUrl = pathToFileURL(input.bundle).href;
  const totals = new Map<string, number>();
  const dir = await mkdtemp(join(dirname(input.bundle), 'profiles-'));
  try {
    for (let i = 0; i < input.runs; i++) {
      await run(
        process.execPath,
        [
          '--cpu-prof',
          '--cpu-prof-interval',
          '100',
          '--cpu-prof-dir',
          dir,
          input.timer,
          input.bundle,
          ...((await input.args?.()) ?? []),
        ],
        { env: input.env, timeout: 60_000 },
      );
    }
    const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    for (const file of files) {
      const profile: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
      if (!isProfile(profile)) throw new Error(`${file} is not a V8 CPU profile`);
      attribute(profile, bundleUrl, origin, totals);
    }
    const count = Math.max(1, files.length);
    const shares = [...totals.entries()]
      .map(([name, ms]) => ({ name, ms: ms / count }))
      .sort((a, b) => b.ms - a.ms);
    return { profiledMs: shares.reduce((sum, s) => sum + s.ms, 0), shares };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
