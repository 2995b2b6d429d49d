/**
 * `npm pack` as a user installs it: the tarball goes into a fresh project outside the repo,
 * whose `taskenv` bin and `import { Taskenv } from 'taskenv'` then drive this file's local stack,
 * and whose TypeScript type-checks against the shipped declarations (strict, no skipLibCheck).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentListResponseSchema } from '#domain/api-schemas';
import { makeTempDir, parseBody, REPO_ROOT, stackPerFile } from '#test/support/e2e';

const run = promisify(execFile);
const runningStack = stackPerFile('package');
let app: Awaited<ReturnType<typeof makeTempDir>>;

const CONSUMER_TS = `import { Taskenv, type EnvironmentResponse, NotFoundError } from 'taskenv';

export async function lifecycle(client: Taskenv): Promise<EnvironmentResponse['state']> {
  await using env = await client.environments.create({ task_ref: 'hello-http', inputs: { name: 'ts' } }, { wait: true });
  const result = await env.execute({ command: 'ls /', timeout_sec: 10 });
  if (result.exit_code !== 0) throw new Error(result.output);
  for await (const listed of client.environments.list({ state: 'ready' })) console.log(listed.id);
  return env.state;
}
export const isMissing = (error: unknown): boolean => error instanceof NotFoundError && error.envelope.code === 404;
`;

// Node 20 has no \`await using\` syntax: the script calls what it compiles to.
const CONSUMER_MJS = `import { Taskenv } from 'taskenv';
const client = new Taskenv();
const env = await client.environments.create({ task_ref: 'hello-http', inputs: { name: 'pack' } }, { wait: true });
const ready = env.state;
await env[Symbol.asyncDispose]();
const after = await client.environments.get(env.id);
console.log(JSON.stringify({ ready, after: after.state, url: client.apiUrl }));
`;

beforeAll(async () => {
  app = await makeTempDir('package');
  // npm pack runs `prepare` (the build) first, as a publish would.
  const packed = await run('npm', ['pack', '--json', '--pack-destination', app.path], { cwd: REPO_ROOT });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  await writeFile(
    join(app.path, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(app.path, filename)], {
    cwd: app.path,
  });
}, 240_000);

afterAll(async () => {
  await app?.remove();
});

describe('the packed taskenv package, installed outside the repo', () => {
  it('runs its taskenv bin against the local stack', async () => {
    // Prepare
    const stack = runningStack();

    // Act
    const listed = await run(join(app.path, 'node_modules', '.bin', 'taskenv'), ['env', 'list', '--json'], {
      cwd: app.path,
      env: { ...process.env, TASKENV_API_URL: stack.apiUrl, TASKENV_API_KEY: stack.apiKey },
    });

    // Assess
    expect(parseBody(environmentListResponseSchema, JSON.parse(listed.stdout)).page).toBe(1);
  });

  it('imports the SDK and drives a create with wait to teardown', { timeout: 60_000 }, async () => {
    // Prepare
    const stack = runningStack();
    await writeFile(join(app.path, 'lifecycle.mjs'), CONSUMER_MJS);

    // Act
    const out = await run(process.execPath, ['lifecycle.mjs'], {
      cwd: app.path,
      env: { ...process.env, TASKENV_API_URL: stack.apiUrl, TASKENV_API_KEY: stack.apiKey },
    });

    // Assess
    expect(JSON.parse(out.stdout)).toEqual({ ready: 'ready', after: 'torn_down', url: stack.apiUrl });
  });

  it('type-checks a strict TypeScript consumer against the shipped declarations', async () => {
    // Prepare
    await writeFile(join(app.path, 'consumer.ts'), CONSUMER_TS);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
        types: [],
      },
      files: ['consumer.ts'],
    };
    await writeFile(join(app.path, 'tsconfig.json'), JSON.stringify(tsconfig));

    // Act
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', app.path]).then(
      () => ({ code: 0, output: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
    );

    // Assess
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);
  });
});
