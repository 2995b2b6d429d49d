/**
 * The deployed functions as Lambda runs them: each entry bundled with the construct's esbuild
 * options (`bench/bundle-options.ts`), then invoked in a fresh Node process with a given
 * environment and event, the handler's answer read back as JSON.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FunctionName } from '#shared/routes';
import { serviceFunctionBuildOptions } from '../../bench/bundle-options.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the meta function reads next to its bundle (the construct copies the same files). */
const META_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css'];

export interface Bundles {
  readonly dir: string;
  /** Runs `handler(event, context)` of `name`'s bundle in a new Node process; answers what it returned. */
  invoke(name: FunctionName, event: unknown, env: Readonly<Record<string, string>>): Promise<unknown>;
  remove(): Promise<void>;
}

/** The runner: imports the bundle, calls its handler with a Lambda-shaped context, writes the result. */
const RUNNER = `
const [bundle, eventFile, resultFile, name] = process.argv.slice(2);
const { readFile, writeFile } = await import('node:fs/promises');
const event = JSON.parse(await readFile(eventFile, 'utf8'));
const deadline = Date.now() + 30000;
const context = {
  functionName: name, functionVersion: '$LATEST', memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + name,
  awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/' + name, logStreamName: 'smoke',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(),
  done() {}, fail() {}, succeed() {},
};
try {
  const { handler } = await import(bundle);
  const result = await handler(event, context);
  await writeFile(resultFile, JSON.stringify({ ok: true, result: result ?? null }));
} catch (error) {
  await writeFile(resultFile, JSON.stringify({ ok: false, error: String(error?.name) + ': ' + String(error?.message) }));
}
process.exit(0);
`;

export const buildBundles = async (names: readonly FunctionName[]): Promise<Bundles> => {
  const dir = await mkdtemp(join(tmpdir(), 'taskenv-bundles-'));
  await writeFile(join(dir, 'runner.mjs'), RUNNER);
  for (const name of names) {
    const outdir = join(dir, name);
    await mkdir(outdir, { recursive: true });
    await build({
      ...serviceFunctionBuildOptions({ projectRoot: ROOT, outfile: join(outdir, 'index.mjs') }),
      entryPoints: [join(ROOT, 'functions', `${name}.ts`)],
      metafile: false,
    });
    if (name === 'meta') {
      await mkdir(join(outdir, 'docs'));
      for (const file of META_ASSETS) {
        await copyFile(join(ROOT, 'node_modules/swagger-ui-dist', file), join(outdir, 'docs', file));
      }
    }
  }
  let calls = 0;
  return {
    dir,
    invoke: async (name, event, env) => {
      calls++;
      const eventFile = join(dir, `event-${calls}.json`);
      const resultFile = join(dir, `result-${calls}.json`);
      await writeFile(eventFile, JSON.stringify(event));
      await new Promise<void>((resolve, reject) => {
        execFile(
          process.execPath,
          [
            '--enable-source-maps',
            join(dir, 'runner.mjs'),
            join(dir, name, 'index.mjs'),
            eventFile,
            resultFile,
            name,
          ],
          // Only what Lambda and the deployment would set: nothing of the test process leaks in.
          { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
          (error, stdout, stderr) => {
            // The function's own log lines, kept beside its result for a look (TASKENV_KEEP_BUNDLES).
            writeFileSync(`${resultFile}.log`, `${stdout}${stderr}`);
            if (error) reject(new Error(`${name}: ${error.message}\n${stderr}`));
            else resolve();
          },
        );
      });
      const outcome = JSON.parse(await readFile(resultFile, 'utf8')) as
        | { ok: true; result: unknown }
        | { ok: false; error: string };
      if (!outcome.ok) throw new Error(`${name} threw ${outcome.error}`);
      return outcome.result;
    },
    // TASKENV_KEEP_BUNDLES=1 keeps the bundles, events, results and logs for a look.
    remove: () =>
      process.env.TASKENV_KEEP_BUNDLES === '1'
        ? Promise.resolve()
        : rm(dir, { recursive: true, force: true }),
  };
};
