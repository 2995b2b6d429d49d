/**
 * Figure 1, cold start: each function bundled exactly as the ServiceFunction construct bundles
 * it, next to a baseline bundle that builds the same AWS SDK clients and makes the same first SDK
 * calls. Timed in a fresh Node process per sample: module init (`import()` of the bundle) plus
 * the first invocation (the handler with a real-shaped event, `cold-start-scenarios.ts`),
 * against a DynamoDB Local and a stub of the other AWS services (`aws-stub.ts`) that the bench
 * starts, so both sides pay the same round trips. The baseline's calls are the function's own,
 * recorded from one invocation of its source (`cold-start-record.ts`).
 *
 * A little over 400 lines: the sampling loop and the Lambda environment and timer script it
 * runs belong together; the events, the stub, the recorder and the baseline source live apart.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { ensureTables } from '#adapters/local/dynamodb-local';
import { type AwsStub, startAwsStub } from './aws-stub.ts';
import {
  bytesByPackage,
  costBreakdown,
  excessOverBaseline,
  functionEntries,
  importChain,
  type PackageCost,
  type PackageExcess,
  type PackageShare,
  sdkClientsOf,
} from './bundle-analysis.ts';
import { LAMBDA_NODE_OPTIONS, serviceFunctionBuildOptions } from './bundle-options.ts';
import { wavesOf } from './call-waves.ts';
import { coldStartScenarios, type Fixture, type Scenario } from './cold-start-scenarios.ts';
import { type InitAttribution, profileInit } from './init-profile.ts';
import { baselineSource, retarget, type SdkCall } from './sdk-calls.ts';
import { median } from './stats.ts';
import { startWorld, type World } from './world.ts';

const run = promisify(execFile);

/** The table of the scheduled functions, which would act on everything the other fixtures seed. */
const EMPTY_TABLE = 'taskenv-bench-empty';

/**
 * The Lambda environment of every function, as the construct sets it (no Powertools overrides:
 * INFO logs and metrics on, as deployed), with placeholder resource names and every endpoint on
 * the bench's DynamoDB Local and AWS stub.
 */
const lambdaEnvironment = (
  fn: string,
  at: {
    readonly dynamodb: string;
    readonly aws: string;
    readonly tableName: string;
    readonly idempotencyTableName: string;
  },
): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL_DYNAMODB: at.dynamodb,
  AWS_ENDPOINT_URL: at.aws,
  AWS_LAMBDA_FUNCTION_NAME: `taskenv-${fn}`,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TABLE_NAME: at.tableName,
  IDEMPOTENCY_TABLE_NAME: at.idempotencyTableName,
  CLUSTER_ARN: 'arn:aws:ecs:us-east-1:000000000000:cluster/taskenv',
  SUBNETS: 'subnet-aaa,subnet-bbb',
  SECURITY_GROUPS: 'sg-123',
  ASSIGN_PUBLIC_IP: 'true',
  EXECUTION_ROLE_ARN: 'arn:aws:iam::000000000000:role/taskenv-exec',
  TASK_ROLE_ARN: 'arn:aws:iam::000000000000:role/taskenv-task',
  LOG_GROUP_NAME: '/taskenv/tasks',
  ENV_FILE_BUCKET: 'taskenv-env-files',
  ENV_FILE_KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/abc',
  SCHEDULER_GROUP: 'taskenv',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/taskenv-scheduler',
  SECRETS_PREFIX: 'taskenv',
  EVENT_BUS_NAME: 'taskenv',
  EXECUTE_TOKEN_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/hmac',
  EXEC_WORKER_FUNCTION_NAME: 'taskenv-exec-worker',
  LIFECYCLE_QUEUE_URL: `${at.aws}/000000000000/taskenv-lifecycle`,
  URL_MODE: 'public',
  TASKENV_VERSION: '0.0.0-bench',
});

/** Marks the timer's result line in the process's stdout, which the function's logs share. */
const RESULT_MARK = '@@taskenv-bench ';

/**
 * Run by each fresh process: times the dynamic import of one bundle (reading, compiling and
 * running its module scope: Lambda's init phase), then, with the event read outside the clock,
 * the handler's first invocation.
 */
const TIMER_SCRIPT = `import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [bundle, eventFile] = process.argv.slice(2);
const url = pathToFileURL(bundle).href;
const cpuStarted = process.cpuUsage();
const started = performance.now();
const mod = await import(url);
const initMs = performance.now() - started;
if (typeof mod.handler !== 'function') { process.stderr.write('bundle exports no handler'); process.exit(2); }
let invokeMs = null;
let result = null;
let failure = null;
if (eventFile !== undefined) {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const context = {
    callbackWaitsForEmptyEventLoop: false, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '1024', awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench', getRemainingTimeInMillis: () => 30000,
    done: () => undefined, fail: () => undefined, succeed: () => undefined,
  };
  const invoked = performance.now();
  try { result = await mod.handler(event, context); } catch (error) { failure = String(error?.stack ?? error); }
  invokeMs = performance.now() - invoked;
}
const cpu = process.cpuUsage(cpuStarted);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write('\\n${RESULT_MARK}' + JSON.stringify({ initMs, invokeMs, cpuMs, result: result ?? null, failure }) + '\\n');
process.exit(0);
`;

export interface ColdStartSample {
  readonly initMs: number;
  readonly invokeMs: number;
  readonly totalMs: number;
  /**
   * CPU time of the process over init and the first invocation (user + system): unlike the wall
   * time it barely moves with the machine's load, so a change can be judged on a busy machine.
   */
  readonly cpuMs: number;
}

export interface ColdStartRow {
  readonly function: string;
  /** The first invocation timed. */
  readonly invocation: string;
  /** The SDK calls it makes, `Client.Command`, in order; the baseline makes the same. */
  readonly calls: readonly string[];
  readonly bytes: number;
  readonly baselineBytes: number;
  /** Medians of module init, first invocation and their sum (per sample), function and baseline. */
  readonly initMs: number;
  readonly invokeMs: number;
  readonly totalMs: number;
  readonly baselineInitMs: number;
  readonly baselineInvokeMs: number;
  readonly baselineTotalMs: number;
  /** Median total over median baseline total (the table's interval and verdict: `rows.ts`). */
  readonly ratio: number;
  /** The SDK packages found in the function's bundle, whose clients the baseline builds too. */
  readonly sdkClients: readonly string[];
  /** The largest contributors to the function's bundle, biggest first. */
  readonly biggestInputs: readonly PackageShare[];
  /** Where the function's init and first invocation go, from CPU profiles of extra samples. */
  readonly attribution: InitAttribution;
  /** The packages that cost the most, most first (see `costBreakdown`). */
  readonly costs: readonly PackageCost[];
  /** What the function's packages cost beyond the baseline's, largest first. */
  readonly excess: readonly PackageExcess[];
  readonly samples: {
    readonly function: readonly ColdStartSample[];
    readonly baseline: readonly ColdStartSample[];
    /** The same function built from {@link ColdStartOptions.compareWith}, sampled in the same rounds. */
    readonly before?: readonly ColdStartSample[];
  };
}

export interface ColdStartOptions {
  readonly projectRoot: string;
  readonly workDir: string;
  /** Fresh processes per bundle (after one discarded warm-up round). */
  readonly runs: number;
  /** Extra profiled samples per bundle for {@link ColdStartRow.attribution}. */
  readonly profileRuns: number;
  /** Only these functions (default: every entry in `functions/`). */
  readonly only?: readonly string[];
  /**
   * Another checkout of the project (the code before a change): each function is also built from
   * it and timed in the same rounds with the same events, so a change is measured before and
   * after in one run.
   */
  readonly compareWith?: string;
  readonly progress: (line: string) => void;
}

interface TimerOutput extends ColdStartSample {
  readonly result: unknown;
}

const timeSample = async (
  bundle: string,
  eventFile: string,
  timer: string,
  env: Record<string, string>,
): Promise<TimerOutput> => {
  const { stdout } = await run(process.execPath, [timer, bundle, eventFile], {
    env,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error(`No timer result for ${bundle}: ${stdout.slice(-2000)}`);
  const parsed = JSON.parse(line.slice(RESULT_MARK.length)) as {
    initMs: number;
    invokeMs: number;
    cpuMs: number;
    result: unknown;
    failure: string | null;
  };
  if (parsed.failure !== null) throw new Error(`${bundle} failed its first invocation: ${parsed.failure}`);
  return {
    initMs: parsed.initMs,
    invokeMs: parsed.invokeMs,
    totalMs: parsed.initMs + parsed.invokeMs,
    cpuMs: parsed.cpuMs,
    result: parsed.result,
  };
};

interface Prepared {
  readonly fn: string;
  readonly scenario: Scenario;
  readonly env: Record<string, string>;
  readonly bundle: string;
  readonly baseline: string;
  readonly before: string | null;
  readonly metafile: Metafile;
  readonly baselineMetafile: Metafile;
  readonly sdkClients: string[];
  readonly calls: SdkCall[];
  /** The recorded waves as JSON, and the ids of the fixture they were recorded with. */
  readonly wavesJson: string;
  readonly recordedIds: readonly string[];
}

const recordCalls = async (
  fn: string,
  scenario: Scenario,
  fixture: Fixture,
  dir: string,
  env: Record<string, string>,
  options: ColdStartOptions,
  stub: AwsStub,
): Promise<SdkCall[]> => {
  const eventFile = join(dir, 'record-event.json');
  const outFile = join(dir, 'recorded.json');
  await writeFile(eventFile, JSON.stringify(fixture.event));
  const tsx = join(options.projectRoot, 'node_modules', '.bin', 'tsx');
  await run(
    tsx,
    [
      join(options.projectRoot, 'bench', 'cold-start-record.ts'),
      join(options.projectRoot, 'functions', `${fn}.ts`),
      eventFile,
      outFile,
    ],
    {
      env,
      cwd: options.projectRoot,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const recorded = JSON.parse(await readFile(outFile, 'utf8')) as {
    calls: SdkCall[];
    result: unknown;
    failure: string | null;
  };
  if (recorded.failure !== null) throw new Error(`${fn}'s first invocation failed: ${recorded.failure}`);
  const problem = scenario.check(recorded.result);
  if (problem !== null) throw new Error(`${fn}: ${problem}`);
  if (stub.unknown.length > 0)
    throw new Error(`${fn} called what the AWS stub cannot answer: ${stub.unknown.join(', ')}`);
  return recorded.calls;
};

const prepare = async (
  fn: string,
  scenario: Scenario,
  world: World,
  stub: AwsStub,
  options: ColdStartOptions,
): Promise<Prepared> => {
  const dir = join(options.workDir, fn);
  await mkdir(join(dir, 'baseline'), { recursive: true });
  const env = lambdaEnvironment(fn, {
    dynamodb: world.endpoint,
    aws: stub.endpoint,
    tableName: scenario.emptyTable === true ? EMPTY_TABLE : world.tableName,
    idempotencyTableName: world.idempotencyTableName,
  });
  const bundle = join(dir, 'index.mjs');
  const result = await build({
    ...serviceFunctionBuildOptions({ projectRoot: options.projectRoot, outfile: bundle }),
    entryPoints: [join(options.projectRoot, 'functions', `${fn}.ts`)],
  });
  if (result.metafile === undefined) throw new Error(`esbuild wrote no metafile for ${fn}`);
  const before = options.compareWith === undefined ? null : join(dir, 'before', 'index.mjs');
  if (options.compareWith !== undefined && before !== null) {
    await build({
      ...serviceFunctionBuildOptions({ projectRoot: options.compareWith, outfile: before }),
      entryPoints: [join(options.compareWith, 'functions', `${fn}.ts`)],
    });
  }
  const sdkClients = sdkClientsOf(result.metafile);

  const fixture = await scenario.fixture();
  const calls = await recordCalls(fn, scenario, fixture, dir, env, options, stub);
  const baseline = join(dir, 'baseline', 'index.mjs');
  const baselineResult = await build({
    ...serviceFunctionBuildOptions({ projectRoot: options.projectRoot, outfile: baseline }),
    stdin: {
      contents: baselineSource(sdkClients, calls),
      resolveDir: options.projectRoot,
      sourcefile: 'baseline.mjs',
    },
  });
  if (baselineResult.metafile === undefined)
    throw new Error(`esbuild wrote no metafile for ${fn}'s baseline`);
  const waves = wavesOf(calls).map((wave) =>
    wave.map((c) => ({ client: c.client, command: c.command, input: c.input, error: c.error })),
  );
  return {
    fn,
    scenario,
    env,
    bundle,
    baseline,
    before,
    metafile: result.metafile,
    baselineMetafile: baselineResult.metafile,
    sdkClients,
    calls,
    wavesJson: JSON.stringify({ waves }),
    recordedIds: fixture.ids,
  };
};

/** Writes the event of one sample (a fresh fixture for each side) and names its file. */
const eventFor = async (
  p: Prepared,
  side: 'function' | 'baseline' | 'before',
  file: string,
): Promise<string> => {
  const fixture = await p.scenario.fixture();
  const event =
    side !== 'baseline'
      ? JSON.stringify(fixture.event)
      : retarget(p.wavesJson, p.recordedIds, fixture.ids, randomUUID);
  await writeFile(file, event);
  return file;
};

export const measureColdStart = async (options: ColdStartOptions): Promise<ColdStartRow[]> => {
  const timer = join(options.workDir, 'time-sample.mjs');
  await mkdir(options.workDir, { recursive: true });
  await writeFile(timer, TIMER_SCRIPT);
  const world = await startWorld(options.projectRoot);
  const stub = await startAwsStub();
  try {
    await ensureTables(world.endpoint, {
      table: EMPTY_TABLE,
      idempotencyTable: `${EMPTY_TABLE}-idempotency`,
    });
    const scenarios = await coldStartScenarios(world, options.projectRoot);
    const entries = options.only ?? (await functionEntries(options.projectRoot));
    const prepared: Prepared[] = [];
    for (const fn of entries) {
      const scenario = scenarios[fn];
      if (scenario === undefined) throw new Error(`No first invocation defined for functions/${fn}.ts`);
      prepared.push(await prepare(fn, scenario, world, stub, options));
      options.progress(
        `cold start: ${fn}: ${scenario.description}; ${prepared.at(-1)?.calls.length ?? 0} SDK calls`,
      );
    }
    options.progress(`cold start: ${prepared.length} functions; ${options.runs} fresh processes per bundle`);

    const samples = new Map(
      prepared.map((p) => [
        p.fn,
        {
          function: [] as ColdStartSample[],
          baseline: [] as ColdStartSample[],
          before: [] as ColdStartSample[],
        },
      ]),
    );
    // Round 0 warms the page cache and is dropped; the order flips every round so drift on a
    // busy machine lands on both sides alike.
    for (let round = 0; round <= options.runs; round++) {
      if (round > 0 && round % 5 === 0) options.progress(`cold start: round ${round} of ${options.runs}`);
      for (const p of prepared) {
        const into = samples.get(p.fn);
        if (into === undefined) continue;
        const pair = [
          { side: 'function' as const, bundle: p.bundle, list: into.function },
          { side: 'baseline' as const, bundle: p.baseline, list: into.baseline },
          ...(p.before === null ? [] : [{ side: 'before' as const, bundle: p.before, list: into.before }]),
        ];
        for (const { side, bundle, list } of round % 2 === 0 ? pair : pair.reverse()) {
          const eventFile = await eventFor(p, side, join(options.workDir, p.fn, `${side}-event.json`));
          const sample = await timeSample(bundle, eventFile, timer, p.env);
          if (side !== 'baseline') {
            const problem = p.scenario.check(sample.result);
            if (problem !== null) throw new Error(`${p.fn}: ${problem}`);
          }
          if (round > 0)
            list.push({
              initMs: sample.initMs,
              invokeMs: sample.invokeMs,
              totalMs: sample.totalMs,
              cpuMs: sample.cpuMs,
            });
        }
      }
    }

    const rows: ColdStartRow[] = [];
    for (const p of prepared) {
      const s = samples.get(p.fn);
      if (s === undefined) continue;
      const pick = (list: readonly ColdStartSample[], key: keyof ColdStartSample) =>
        median(list.map((x) => x[key]));
      const profile = (bundle: string, side: 'function' | 'baseline') =>
        profileInit({
          bundle,
          timer,
          env: p.env,
          projectRoot: options.projectRoot,
          runs: options.profileRuns,
          args: async () => [
            await eventFor(p, side, join(options.workDir, p.fn, `profile-${side}-event.json`)),
          ],
        });
      const attribution = await profile(p.bundle, 'function');
      const costs = costBreakdown(attribution, bytesByPackage(p.metafile));
      const baselineCosts = costBreakdown(
        await profile(p.baseline, 'baseline'),
        bytesByPackage(p.baselineMetafile),
      );
      const totals = s.function.map((x) => x.totalMs);
      const baselineTotals = s.baseline.map((x) => x.totalMs);
      rows.push({
        function: p.fn,
        invocation: p.scenario.description,
        calls: p.calls.map((c) => `${c.client.replace(/Client$/, '')}.${c.command.replace(/Command$/, '')}`),
        bytes: (await stat(p.bundle)).size,
        baselineBytes: (await stat(p.baseline)).size,
        initMs: pick(s.function, 'initMs'),
        invokeMs: pick(s.function, 'invokeMs'),
        totalMs: median(totals),
        baselineInitMs: pick(s.baseline, 'initMs'),
        baselineInvokeMs: pick(s.baseline, 'invokeMs'),
        baselineTotalMs: median(baselineTotals),
        ratio: median(totals) / median(baselineTotals),
        sdkClients: p.sdkClients,
        biggestInputs: bytesByPackage(p.metafile).slice(0, 8),
        attribution,
        costs: costs.slice(0, 8),
        excess: excessOverBaseline(costs, baselineCosts, (pkg) =>
          importChain(p.metafile, `functions/${p.fn}.ts`, pkg),
        ).slice(0, 8),
        samples: p.before === null ? { function: s.function, baseline: s.baseline } : s,
      });
    }
    return rows;
  } finally {
    await stub.stop();
    await world.stop();
  }
};
