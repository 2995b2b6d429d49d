/**
 * Figure 1, cold start: each function bundled exactly as the ServiceFunction construct bundles
 * it, next to a baseline bundle that only builds the same AWS SDK clients; module init timed in
 * fresh Node processes.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_NODE_OPTIONS, serviceFunctionBuildOptions } from './bundle-options.ts';
import { COMPILE, type InitAttribution, profileInit } from './init-profile.ts';
import { median } from './stats.ts';

const run = promisify(execFile);

/** SDK packages a function builds clients from, and the client class each one exports. */
const SDK_CLIENT_CLASSES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-ec2': 'EC2Client',
  '@aws-sdk/client-ecs': 'ECSClient',
  '@aws-sdk/client-eventbridge': 'EventBridgeClient',
  '@aws-sdk/client-s3': 'S3Client',
  '@aws-sdk/client-scheduler': 'SchedulerClient',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-kms': 'KMSClient',
  '@aws-sdk/client-lambda': 'LambdaClient',
  '@aws-sdk/client-cloudwatch-logs': 'CloudWatchLogsClient',
};
const DOCUMENT_CLIENT_PACKAGE = '@aws-sdk/lib-dynamodb';

/**
 * The Lambda environment of every function, with placeholder values: each entry parses its own
 * config schema at module scope, so a missing variable would fail the import being timed.
 */
const lambdaEnvironment = (fn: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: `taskenv-${fn}`,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TABLE_NAME: 'taskenv',
  IDEMPOTENCY_TABLE_NAME: 'taskenv-idempotency',
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:123456789012:cluster/taskenv',
  SUBNETS: 'subnet-aaa,subnet-bbb',
  SECURITY_GROUPS: 'sg-123',
  ASSIGN_PUBLIC_IP: 'true',
  EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/taskenv-exec',
  TASK_ROLE_ARN: 'arn:aws:iam::123456789012:role/taskenv-task',
  LOG_GROUP_NAME: '/taskenv/tasks',
  ENV_FILE_BUCKET: 'taskenv-env-files',
  ENV_FILE_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/abc',
  SCHEDULER_GROUP: 'taskenv',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/taskenv-scheduler',
  SECRETS_PREFIX: 'taskenv',
  EVENT_BUS_NAME: 'taskenv',
  EXECUTE_TOKEN_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/hmac',
  EXEC_WORKER_FUNCTION_NAME: 'taskenv-exec-worker',
  URL_MODE: 'public',
  TASKENV_VERSION: '0.0.0-bench',
  POWERTOOLS_METRICS_DISABLED: 'true',
});

/**
 * Imported by each fresh process: times the dynamic import of one bundle, i.e. reading,
 * compiling and running its module scope, which is what Lambda's init phase does with it.
 */
const TIMER_SCRIPT = `import { pathToFileURL } from 'node:url';
const url = pathToFileURL(process.argv[2]).href;
const started = performance.now();
const mod = await import(url);
const ms = performance.now() - started;
if (typeof mod.handler !== 'function') { process.stderr.write('bundle exports no handler'); process.exit(2); }
process.stdout.write(JSON.stringify({ ms }));
process.exit(0);
`;

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

export interface ColdStartRow {
  readonly function: string;
  readonly bytes: number;
  readonly initMs: number;
  readonly baselineBytes: number;
  readonly baselineInitMs: number;
  readonly ratio: number;
  /** The SDK packages found in the function's bundle, which the baseline builds clients of. */
  readonly sdkClients: readonly string[];
  /** The largest contributors to the function's bundle, biggest first. */
  readonly biggestInputs: readonly PackageShare[];
  /** Where the function's init time goes, from CPU profiles of extra imports. */
  readonly attribution: InitAttribution;
  /** The packages that cost the most init time, most first (see {@link costBreakdown}). */
  readonly costs: readonly PackageCost[];
  /** What the function's packages cost beyond the baseline's, largest first. */
  readonly excess: readonly PackageExcess[];
  readonly samples: { readonly function: readonly number[]; readonly baseline: readonly number[] };
}

export interface ColdStartOptions {
  readonly projectRoot: string;
  readonly workDir: string;
  /** Fresh processes per bundle (after one discarded warm-up round). */
  readonly runs: number;
  /** Extra profiled imports per function for {@link ColdStartRow.attribution}. */
  readonly profileRuns: number;
  readonly progress: (line: string) => void;
}

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

const bytesByPackage = (metafile: Metafile): PackageShare[] => {
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
const sdkClientsOf = (metafile: Metafile): string[] => {
  const packages = new Set(
    bytesByPackage(metafile)
      .filter((p) => p.bytes > 0)
      .map((p) => p.name),
  );
  return [...Object.keys(SDK_CLIENT_CLASSES), DOCUMENT_CLIENT_PACKAGE].filter((p) => packages.has(p)).sort();
};

/** A module that imports and builds only `packages`' clients, as the function's own client modules do. */
export const baselineSource = (packages: readonly string[]): string => {
  const lines: string[] = [];
  const built: string[] = [];
  for (const pkg of packages) {
    if (pkg === DOCUMENT_CLIENT_PACKAGE) continue;
    const className = SDK_CLIENT_CLASSES[pkg];
    if (className === undefined) throw new Error(`No client class known for ${pkg}`);
    lines.push(`import { ${className} } from '${pkg}';`);
    built.push(`new ${className}({})`);
  }
  if (packages.includes(DOCUMENT_CLIENT_PACKAGE)) {
    if (!packages.includes('@aws-sdk/client-dynamodb'))
      throw new Error('lib-dynamodb without client-dynamodb');
    lines.push(`import { DynamoDBDocumentClient } from '${DOCUMENT_CLIENT_PACKAGE}';`);
    built.push('DynamoDBDocumentClient.from(new DynamoDBClient({}))');
  }
  lines.push(`export const clients = [${built.join(', ')}];`);
  lines.push('export const handler = async () => clients.length;');
  return `${lines.join('\n')}\n`;
};

const timeImport = async (bundle: string, timer: string, env: Record<string, string>): Promise<number> => {
  const { stdout } = await run(process.execPath, [timer, bundle], { env, timeout: 30_000 });
  const parsed: unknown = JSON.parse(stdout);
  if (typeof parsed !== 'object' || parsed === null || !('ms' in parsed) || typeof parsed.ms !== 'number') {
    throw new Error(`Unexpected timer output for ${bundle}: ${stdout}`);
  }
  return parsed.ms;
};

interface Built {
  readonly fn: string;
  readonly bundle: string;
  readonly baseline: string;
  readonly metafile: Metafile;
  readonly baselineMetafile: Metafile;
  readonly sdkClients: string[];
}

const buildFunction = async (fn: string, options: ColdStartOptions): Promise<Built> => {
  const dir = join(options.workDir, fn);
  await mkdir(join(dir, 'baseline'), { recursive: true });
  const bundle = join(dir, 'index.mjs');
  const result = await build({
    ...serviceFunctionBuildOptions({ projectRoot: options.projectRoot, outfile: bundle }),
    entryPoints: [join(options.projectRoot, 'functions', `${fn}.ts`)],
  });
  if (result.metafile === undefined) throw new Error(`esbuild wrote no metafile for ${fn}`);
  const sdkClients = sdkClientsOf(result.metafile);
  const baseline = join(dir, 'baseline', 'index.mjs');
  const baselineResult = await build({
    ...serviceFunctionBuildOptions({ projectRoot: options.projectRoot, outfile: baseline }),
    stdin: {
      contents: baselineSource(sdkClients),
      resolveDir: options.projectRoot,
      sourcefile: 'baseline.mjs',
    },
  });
  if (baselineResult.metafile === undefined)
    throw new Error(`esbuild wrote no metafile for ${fn}'s baseline`);
  return {
    fn,
    bundle,
    baseline,
    metafile: result.metafile,
    baselineMetafile: baselineResult.metafile,
    sdkClients,
  };
};

export const functionEntries = async (projectRoot: string): Promise<string[]> =>
  (await readdir(join(projectRoot, 'functions')))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();

export const measureColdStart = async (options: ColdStartOptions): Promise<ColdStartRow[]> => {
  const timer = join(options.workDir, 'time-import.mjs');
  await mkdir(options.workDir, { recursive: true });
  await writeFile(timer, TIMER_SCRIPT);
  const built: Built[] = [];
  for (const fn of await functionEntries(options.projectRoot)) built.push(await buildFunction(fn, options));
  options.progress(
    `cold start: ${built.length} functions bundled; ${options.runs} fresh processes per bundle`,
  );

  const samples = new Map(built.map((b) => [b.fn, { function: [] as number[], baseline: [] as number[] }]));
  // Round 0 warms the page cache and is dropped; the order flips every round so drift on a
  // busy machine lands on both sides alike.
  for (let round = 0; round <= options.runs; round++) {
    for (const b of built) {
      const env = lambdaEnvironment(b.fn);
      const into = samples.get(b.fn);
      if (into === undefined) continue;
      const pair = [
        { bundle: b.bundle, list: into.function },
        { bundle: b.baseline, list: into.baseline },
      ];
      for (const { bundle, list } of round % 2 === 0 ? pair : pair.reverse()) {
        const ms = await timeImport(bundle, timer, env);
        if (round > 0) list.push(ms);
      }
    }
  }

  const rows: ColdStartRow[] = [];
  for (const b of built) {
    const s = samples.get(b.fn);
    if (s === undefined) continue;
    const initMs = median(s.function);
    const baselineInitMs = median(s.baseline);
    const profile = (bundle: string) =>
      profileInit({
        bundle,
        timer,
        env: lambdaEnvironment(b.fn),
        projectRoot: options.projectRoot,
        runs: options.profileRuns,
      });
    const attribution = await profile(b.bundle);
    const costs = costBreakdown(attribution, bytesByPackage(b.metafile));
    const baselineCosts = costBreakdown(await profile(b.baseline), bytesByPackage(b.baselineMetafile));
    rows.push({
      function: b.fn,
      bytes: (await stat(b.bundle)).size,
      initMs,
      baselineBytes: (await stat(b.baseline)).size,
      baselineInitMs,
      ratio: initMs / baselineInitMs,
      sdkClients: b.sdkClients,
      biggestInputs: bytesByPackage(b.metafile).slice(0, 8),
      attribution,
      costs: costs.slice(0, 8),
      excess: excessOverBaseline(costs, baselineCosts, (pkg) =>
        importChain(b.metafile, `functions/${b.fn}.ts`, pkg),
      ).slice(0, 8),
      samples: s,
    });
  }
  return rows;
};
