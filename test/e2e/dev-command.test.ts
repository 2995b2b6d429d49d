/**
 * `npm start` as a user sees it: the real `taskenv dev` process on free ports with its default
 * runtime (`auto`: Docker when an engine answers, the examples' images built locally; else host
 * processes), its banner, the curl example it prints, `taskenv dev invoke` against it, and Ctrl-C
 * stopping everything it started (API, DynamoDB Local, task processes or containers).
 */
import { type ChildProcessByStdio, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_STACK } from '#adapters/local/docker-driver';
import { environmentListResponseSchema, environmentResponseSchema } from '#domain/api-schemas';
import { containersLabelled, dockerEngine, removeTestContainers } from '#test/support/docker';
import {
  type ApiTarget,
  connectError,
  makeTempDir,
  parseBody,
  pollStatus,
  processExists,
  REPO_ROOT,
  refusesWithin,
  runCli,
  serviceUrl,
} from '#test/support/e2e';
import { reconcileActions } from '#use-cases/reconcile';

/** The banner's last line: everything the test reads has been printed once it appears. */
const BANNER_END = 'Ctrl-C stops everything.';
// The first start with Docker on a machine also builds the examples' images.
const START_TIMEOUT_MS = 120_000;

/** What `--runtime auto` (the default) must pick on this machine. */
const expectedRuntime = (await dockerEngine('test/e2e/dev-command.test.ts')) ? 'docker' : 'process';

interface Banner {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  /** The curl example, as printed (backslash-continued lines). */
  readonly curl: string;
}

let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let dev: ChildProcessByStdio<null, Readable, Readable>;
let stdout = '';
let stderr = '';
/** Settles with the dev process's exit code (or signal name) once it has exited. */
let exited: Promise<number | string | null>;
let bannerText = '';

/** Resolves once `text` appears on the dev process's stdout; fails if it exits first. */
const waitForOutput = (text: string, timeoutMs: number): Promise<void> =>
  new Promise((resolveWait, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${text}' within ${timeoutMs} ms; stdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    const check = () => {
      if (!stdout.includes(text)) return;
      cleanup();
      resolveWait();
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`taskenv dev exited (${code}) before printing '${text}'; stderr: ${stderr}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      dev.stdout.off('data', check);
      dev.off('exit', onExit);
    };
    dev.stdout.on('data', check);
    dev.once('exit', onExit);
    check();
  });

const field = (pattern: RegExp, name: string): string => {
  const value = pattern.exec(bannerText)?.[1];
  if (value === undefined) throw new Error(`the banner has no ${name}:\n${bannerText}`);
  return value;
};

const parseBanner = (): Banner => {
  const curlStart = bannerText.indexOf('curl --request POST');
  const dataLine = bannerText.indexOf("--data '", curlStart);
  const curlEnd = bannerText.indexOf('\n', dataLine);
  if (curlStart === -1 || dataLine === -1 || curlEnd === -1)
    throw new Error(`no curl example in:\n${bannerText}`);
  return {
    apiUrl: field(/^\s+API\s+(http:\/\/\S+)$/m, 'API URL'),
    apiKey: field(/^\s+API key\s+(\S+)$/m, 'API key'),
    dynamodbEndpoint: field(/^\s+DynamoDB Local\s+(http:\/\/\S+)\s+table\s+\S+$/m, 'DynamoDB Local endpoint'),
    tableName: field(/^\s+DynamoDB Local\s+\S+\s+table\s+(\S+)$/m, 'table name'),
    curl: bannerText.slice(curlStart, curlEnd),
  };
};

const curlAvailable = (): boolean => spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Runs the printed curl command as it stands, adding only output flags that put the status code
 * on the last line. Without curl on the machine, sends the same request with fetch.
 */
const runPrintedCurl = async (curl: string): Promise<{ status: number; body: unknown }> => {
  if (curlAvailable()) {
    const run = spawnSync('bash', ['-c', `${curl} --silent --show-error --write-out '\\n%{http_code}'`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (run.status !== 0) throw new Error(`curl exited ${run.status}: ${run.stderr}`);
    const lines = run.stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    return { status, body: JSON.parse(lines.join('\n')) as unknown };
  }
  const url = /--url (\S+)/.exec(curl)?.[1];
  const headers = [...curl.matchAll(/--header '([^:]+): ([^']*)'/g)].map(([, name, value]) => [
    name ?? '',
    value ?? '',
  ]);
  const data = /--data '([^']*)'/.exec(curl)?.[1];
  if (url === undefined || data === undefined) throw new Error(`cannot read the curl example:\n${curl}`);
  const response = await fetch(url, { method: 'POST', headers: Object.fromEntries(headers), body: data });
  return { status: response.status, body: (await response.json()) as unknown };
};

beforeAll(async () => {
  dataDir = await makeTempDir('dev');
  dev = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      'cli/main.ts',
      'dev',
      '--port',
      '0',
      '--data-dir',
      dataDir.path,
    ],
    {
      cwd: REPO_ROOT,
      // No TASKENV_RUNTIME: the default is what this file checks.
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'TASKENV_RUNTIME')),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  exited = new Promise((resolveExit) => dev.once('exit', (code, signal) => resolveExit(code ?? signal)));
  dev.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  dev.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitForOutput(BANNER_END, START_TIMEOUT_MS);
  bannerText = stdout.slice(0, stdout.indexOf(BANNER_END) + BANNER_END.length);
}, START_TIMEOUT_MS + 5_000);

afterAll(async () => {
  // Normally the last test has stopped it; after a failure, stop it the way a user would, so it
  // takes DynamoDB Local and the task processes down with it, and only then force it.
  if (dev !== undefined && dev.exitCode === null && dev.signalCode === null) {
    dev.kill('SIGINT');
    const timeout = new Promise<'timeout'>((resolveTimeout) =>
      setTimeout(() => resolveTimeout('timeout'), 15_000),
    );
    if ((await Promise.race([exited, timeout])) === 'timeout') dev.kill('SIGKILL');
  }
  // A stack killed before it stopped its tasks leaves its containers behind: remove them (by its label).
  const stackId =
    dataDir === undefined ? '' : await readFile(join(dataDir.path, 'stack-id'), 'utf8').catch(() => '');
  if (stackId.trim() !== '') await removeTestContainers(stackId.trim());
  await dataDir?.remove();
}, 30_000);

describe('taskenv dev (npm start)', () => {
  /** The environment the printed curl created; later tests check it goes away with the stack. */
  let webUrl = '';
  /** Its service's process id, as the service reports it (process runtime only). */
  let webPid: number | undefined;
  let banner: Banner;
  /** The API as the banner describes it. */
  let target: ApiTarget;

  it('prints the real API URL, the saved key, the DynamoDB Local endpoint and table, and a curl example', async () => {
    // Prepare
    const savedKey = (await readFile(join(dataDir.path, 'api-key'), 'utf8')).trim();

    // Act
    banner = parseBanner();
    target = { apiUrl: banner.apiUrl, apiKey: banner.apiKey, org: 'local', workspace: 'default' };
    const health = await fetch(`${banner.apiUrl}/healthz`);

    // Assess
    expect(banner.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(banner.apiUrl).port)).toBeGreaterThan(0);
    expect(health.status).toBe(200);
    expect(banner.apiKey).toBe(savedKey);
    expect(banner.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await connectError(banner.dynamodbEndpoint)).toBeNull();
    expect(banner.tableName).toBe('taskenv');
    // The trust boundary and what the emulator exposes are said where the user looks.
    expect(bannerText).toContain("only tasks published by an admin key of org 'local' run on this host");
    expect(bannerText).toContain(
      `listens on every interface\n                 and accepts any credentials. Keep port ${new URL(banner.dynamodbEndpoint).port} unreachable`,
    );
    expect(banner.curl).toContain(`--url ${banner.apiUrl}/api/v1/org/local/ws/default/environments`);
    expect(banner.curl).toContain(`--header 'Authorization: Bearer ${savedKey}'`);
    expect(banner.curl).toContain('"task_ref": "hello-http"');
    // --runtime auto by default: Docker when an engine answers, else host processes.
    expect(bannerText).toMatch(new RegExp(`^\\s+Runtime\\s+${expectedRuntime} \\(`, 'm'));
  });

  it('answers the printed curl example with 201 and an environment that becomes ready', async () => {
    // Act
    const answer = await runPrintedCurl(banner.curl);
    const created = parseBody(environmentResponseSchema, answer.body);
    const ready = await pollStatus(target, created.id, ['ready'], { timeoutMs: 15_000 });
    webUrl = serviceUrl(ready.status, 'web');
    const whoami = (await (await fetch(`${webUrl}/whoami`)).json()) as {
      environment_id: string;
      pid?: number;
    };
    webPid = whoami.pid;
    const greeting = await fetch(webUrl);

    // Assess
    expect(answer.status).toBe(201);
    expect(created.state).toBe('building');
    expect(created.task_ref).toBe('local/hello-http@1.0.0');
    expect(greeting.status).toBe(200);
    expect(await greeting.text()).toBe('Hello from taskenv!\n');
    expect(whoami.environment_id).toBe(created.id);
  }, 30_000);

  it('runs the reconciler once inside the running stack with dev invoke', async () => {
    // Prepare
    const event = join(dataDir.path, 'event.json');
    await writeFile(event, '{}\n');

    // Act
    const run = await runCli(
      ['dev', 'invoke', 'reconciler', '--event', event, '--data-dir', dataDir.path],
      target,
    );

    // Assess: the handler's counts; nothing failed, and the live environment was left alone
    expect(run.code, run.stderr).toBe(0);
    const counts = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(counts).sort()).toEqual([...reconcileActions, 'errors'].sort());
    for (const value of Object.values(counts)) expect(Number.isInteger(value)).toBe(true);
    expect(counts).toMatchObject({ errors: 0, failed: 0, orphansStopped: 0 });
    expect((await fetch(webUrl)).status).toBe(200);
  }, 30_000);

  it('is found by the CLI from a subdirectory of the project, on its non-default port, with no flags or env', async () => {
    // Prepare: a project whose .taskenv is this stack's data dir, and a machine with no settings
    const project = await makeTempDir('project');
    try {
      await symlink(dataDir.path, join(project.path, '.taskenv'));
      const subdirectory = join(project.path, 'src', 'deep');
      await mkdir(subdirectory, { recursive: true });
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('TASKENV_')),
      );

      // Act
      const listed = await promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'taskenv.js'), 'env', 'list', '--json'],
        { cwd: subdirectory, env: { ...env, HOME: project.path, XDG_CONFIG_HOME: project.path } },
      );

      // Assess: the banner's URL is not the default one, and the list came from this stack
      expect(parseBanner().apiUrl).not.toBe('http://127.0.0.1:8787');
      expect(parseBody(environmentListResponseSchema, JSON.parse(listed.stdout)).page).toBe(1);
    } finally {
      await project.remove();
    }
  });

  it('stops the API, DynamoDB Local and every task process or container on SIGINT, and exits 0 within 10 s', async () => {
    // Prepare
    const stackId = (await readFile(join(dataDir.path, 'stack-id'), 'utf8').catch(() => '')).trim();
    const started = performance.now();

    // Act
    dev.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((resolveTimeout) => setTimeout(() => resolveTimeout('timeout'), 10_000)),
    ]);
    const stoppedMs = performance.now() - started;

    // Assess
    console.info(`dev-command: exited ${stoppedMs.toFixed(0)} ms after SIGINT`);
    expect(code, stderr).toBe(0);
    expect(await connectError(banner.apiUrl)).toBe('ECONNREFUSED');
    expect(await connectError(banner.dynamodbEndpoint)).toBe('ECONNREFUSED');
    expect(await refusesWithin(webUrl, 0)).toBe(true);
    if (expectedRuntime === 'docker') {
      expect(await containersLabelled(LABEL_STACK, stackId)).toEqual([]);
    } else {
      expect(webPid).toEqual(expect.any(Number));
      expect(processExists(webPid ?? -1)).toBe(false);
    }
    // The marker `dev invoke` looks for goes with the stack.
    await expect(readFile(join(dataDir.path, 'stack.json'), 'utf8')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  }, 20_000);
});
