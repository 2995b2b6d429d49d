/**
 * The data plane end to end, over HTTP against the local stack, on the process runtime and on
 * the Docker runtime: execute (exit codes, interleaved output, tokens, states, services,
 * timeouts that kill, the 1 MiB cap, 202 + polling, the 8-execution bound), verify (answer,
 * flag file, script; the flag nowhere), and the logs of a service that crashed.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { type LocalStack, startLocalStack } from '#local/stack';
import { MAX_EXEC_OUTPUT_BYTES } from '#ports/container-runtime';
import {
  buildBusyboxImage,
  dockerEngine,
  removeTestContainers,
  removeTestImages,
} from '#test/support/docker';
import { environmentsUrl, makeTempDir, pollStatus, REPO_ROOT } from '#test/support/e2e';

const run = randomBytes(4).toString('hex');
const IMAGE = `taskenv-test/busybox-exec:${run}`;
const FLAG = `FLAG{e2e-${run}}`;
const SYNC_WINDOW_MS = 3_000;
const hasDocker = await dockerEngine('test/e2e/data-plane.test.ts');

type RuntimeName = 'process' | 'docker';

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are asserted field by field.
  readonly body: any;
}

/** A service that stays up; `before` runs first (a crash task exits in it). */
const service = (runtime: RuntimeName, script: string) =>
  runtime === 'docker'
    ? { image: IMAGE, command: ['sh', '-c', script] }
    : { image: 'none', local: { command: ['/bin/sh', '-c', script] } };

const manifests = (runtime: RuntimeName) => {
  const idle = service(runtime, 'echo started; exec sleep 3600');
  const base = {
    version: '1.0.0',
    instruction: 'Do the thing.',
    timeout: { default_sec: 900, max_sec: 3600 },
  };
  return [
    { ...base, name: 'exec-box', services: { web: idle, side: { ...idle, essential: false } } },
    { ...base, name: 'flag-answer', services: { web: idle }, verification: { method: 'flag', value: FLAG } },
    {
      ...base,
      name: 'flag-file',
      services: { web: idle },
      verification: { method: 'flag', path: `/tmp/flag-${run}.txt`, value: FLAG },
    },
    {
      ...base,
      name: 'script-check',
      services: { web: idle },
      verification: { method: 'script', script: `test -f /tmp/solved-${run}`, timeout: 10 },
    },
    {
      ...base,
      name: 'slow-health',
      services: {
        // Nothing listens on the health port: the environment stays provisioning.
        web: { ...idle, ports: [8080], health: { path: '/', port: 8080 } },
      },
    },
    {
      ...base,
      name: 'crash-late',
      services: { web: service(runtime, 'echo about to crash; sleep 0.3; exit 3') },
    },
  ];
};

const runtimes: RuntimeName[] = hasDocker ? ['process', 'docker'] : ['process'];

describe.each(runtimes)('data plane on the %s runtime', (runtime) => {
  let stack: LocalStack;
  let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
  const logs: string[] = [];

  beforeAll(async () => {
    if (runtime === 'docker') await buildBusyboxImage(IMAGE, { '/tmp/.keep': '' });
    dataDir = await makeTempDir(`data-plane-${runtime}`);
    stack = await startLocalStack({
      dataDir: dataDir.path,
      port: 0,
      runtime,
      syncWindowMs: SYNC_WINDOW_MS,
      examplesDir: join(REPO_ROOT, 'examples', 'no-examples'),
      log: (line) => logs.push(line),
    });
    for (const manifest of manifests(runtime)) {
      const published = await call('POST', `${stack.apiUrl}/api/v1/org/${stack.org}/tasks`, manifest);
      expect(published.status, JSON.stringify(published.body)).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (runtime === 'docker') {
      const id = (await readFile(join(dataDir.path, 'stack-id'), 'utf8').catch(() => '')).trim();
      if (id !== '') await removeTestContainers(id);
      await removeTestImages([IMAGE]);
    }
    await dataDir?.remove();
  });

  const call = async (
    method: string,
    url: string,
    json?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const response = await fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${stack.apiKey}`,
        ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? null : JSON.parse(text),
    };
  };

  const environment = async (task: string, until: 'ready' | 'failed' | 'provisioning' = 'ready') => {
    const created = await call('POST', environmentsUrl(stack), { task_ref: task });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    const token: string = created.body.execute_token;
    if (until !== 'provisioning') await pollStatus(stack, id, [until], { timeoutMs: 20_000 });
    const url = `${environmentsUrl(stack)}/${id}`;
    const execute = (body: unknown, headers: Record<string, string> = { 'X-Environment-Token': token }) =>
      call('POST', `${url}/execute`, body, headers);
    return { id, url, token, execute };
  };

  it('runs a command: exit code and both streams in order; 401 without or with a wrong token; 422 for an unknown service', async () => {
    // Prepare
    const env = await environment('exec-box');

    // Act
    const reply = await env.execute({ command: 'echo out; echo err >&2; exit 3' });
    // Written microseconds apart: read from two pipes they could arrive swapped, now and then.
    const again: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      again.push((await env.execute({ command: 'echo out; echo err >&2' })).body.output);
    }
    const none = await env.execute({ command: 'true' }, {});
    const wrong = await env.execute({ command: 'true' }, { 'X-Environment-Token': 'x'.repeat(43) });
    const unknown = await env.execute({ command: 'true', service: 'nope' });
    const side = await env.execute({ command: 'echo "$TOPIC"', service: 'side', env: { TOPIC: 'hi' } });

    // Assess
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toMatchObject({
      exit_code: 3,
      output: 'out\nerr\n',
      truncated: false,
      timed_out: false,
    });
    expect(again).toEqual(Array.from({ length: 20 }, () => 'out\nerr\n'));
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(wrong.body.type).toBe('authentication_error');
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].loc).toEqual(['body', 'service']);
    expect(side.body).toMatchObject({ exit_code: 0, output: 'hi\n' });
  });

  it('answers 409 before ready and after DELETE', async () => {
    // Prepare
    const slow = await environment('slow-health', 'provisioning');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const env = await environment('exec-box');

    // Act
    const early = await slow.execute({ command: 'true' });
    await call('DELETE', env.url);
    const late = await env.execute({ command: 'true' });
    await call('DELETE', slow.url);

    // Assess
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('conflict_error');
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('torn_down');
  });

  it('kills a command at its timeout: exit 124, timed_out, within seconds, and the process is gone', async () => {
    // Prepare
    const env = await environment('exec-box');
    const marker = `30.${Number.parseInt(run, 16) % 1000}`;

    // Act
    const started = Date.now();
    const reply = await env.execute({ command: `sleep ${marker}`, timeout_sec: 2 });
    const elapsed = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ps = await env.execute({ command: 'ps -ef 2>/dev/null || ps' });

    // Assess
    expect(reply.body).toMatchObject({ exit_code: 124, timed_out: true });
    expect(elapsed).toBeLessThan(6_000);
    expect(ps.body.exit_code).toBe(0);
    expect(ps.body.output).not.toContain(`sleep ${marker}`);
  });

  it('keeps exactly 1 MiB of 3 MB of output, truncated', async () => {
    const env = await environment('exec-box');
    const reply = await env.execute({ command: "head -c 3000000 /dev/zero | tr '\\0' x" });
    expect(reply.status).toBe(200);
    expect(reply.body.output).toHaveLength(MAX_EXEC_OUTPUT_BYTES);
    expect(reply.body.truncated).toBe(true);
  });

  it('answers 202 past the sync window; polling returns the exit code and output', async () => {
    // Prepare
    const env = await environment('exec-box');

    // Act
    const accepted = await env.execute({ command: 'sleep 4; echo late; exit 5' });
    const location = accepted.headers.get('location') ?? '';
    const running = await call('GET', `${stack.apiUrl}${location}`);
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    const polled = await call('GET', `${stack.apiUrl}${location}`);

    // Assess
    expect(accepted.status).toBe(202);
    expect(accepted.body.state).toBe('running');
    expect(location).toBe(new URL(`${env.url}/executions/${accepted.body.id}`).pathname);
    expect(running.body).toMatchObject({ state: 'running', exit_code: null });
    expect(polled.body).toMatchObject({
      state: 'completed',
      exit_code: 5,
      output: 'late\n',
      timed_out: false,
    });
  }, 20_000);

  it('runs at most 8 executions at once: the 9th concurrent one is a 429 with Retry-After', async () => {
    // Prepare
    const env = await environment('exec-box');

    // Act: nine at once, as a harness would send them.
    const replies = await Promise.all(
      Array.from({ length: 9 }, () => env.execute({ command: 'sleep 20', timeout_sec: 8 })),
    );
    const afterEight = await env.execute({ command: 'true' });
    await call('DELETE', env.url);

    // Assess
    expect(replies.map((r) => r.status).sort()).toEqual([...Array(8).fill(202), 429]);
    const ninth = replies.find((r) => r.status === 429);
    expect(afterEight.status).toBe(429);
    expect(ninth?.body.type).toBe('rate_limit_error');
    expect(ninth?.headers.get('retry-after')).not.toBeNull();
  }, 20_000);

  it(
    runtime === 'docker' ? "shows the image's filesystem, not the host's" : "runs in the service's directory",
    async () => {
      const env = await environment('exec-box');
      if (runtime === 'docker') {
        const ls = await env.execute({ command: 'ls /' });
        expect(ls.body.output.split('\n')).toContain('bin');
        expect(ls.body.output.split('\n')).not.toContain('work');
        expect(ls.body.output.split('\n')).not.toContain('usr');
      } else {
        const pwd = await env.execute({ command: 'pwd' });
        expect(pwd.body.output).toBe(`${REPO_ROOT}\n`);
      }
      const there = await env.execute({ command: 'pwd', workdir: '/tmp' });
      expect(there.body.output).toBe('/tmp\n');
    },
  );

  it('verifies: right answer passes, wrong fails, whitespace trimmed; the latest result is on the environment', async () => {
    // Prepare
    const env = await environment('flag-answer');

    // Act
    const wrong = await call('POST', `${env.url}/verify`, { answer: 'FLAG{nope}' });
    const right = await call('POST', `${env.url}/verify`, { answer: `\n ${FLAG}  ` });
    const read = await call('GET', env.url);

    // Assess
    expect(wrong.body).toMatchObject({ passed: false, method: 'flag' });
    expect(right.body).toMatchObject({ passed: true, method: 'flag', exit_code: null, output: null });
    expect(read.body.verification).toEqual({ passed: true, verified_at: right.body.verified_at });
  });

  it('passes path verification once an execution wrote the flag file', async () => {
    // Prepare
    const env = await environment('flag-file');
    const before = await call('POST', `${env.url}/verify`);

    // Act
    const wrote = await env.execute({ command: `printf '%s\\n' '${FLAG}' > /tmp/flag-${run}.txt` });
    const after = await call('POST', `${env.url}/verify`);
    if (runtime === 'process') await env.execute({ command: `rm -f /tmp/flag-${run}.txt` });

    // Assess
    expect(before.body.passed).toBe(false);
    expect(wrote.body.exit_code).toBe(0);
    expect(after.body).toMatchObject({ passed: true, method: 'flag' });
  });

  it('passes and fails a script task by its exit code', async () => {
    // Prepare
    const env = await environment('script-check');

    // Act
    const failing = await call('POST', `${env.url}/verify`);
    await env.execute({ command: `touch /tmp/solved-${run}` });
    const passing = await call('POST', `${env.url}/verify`);
    if (runtime === 'process') await env.execute({ command: `rm -f /tmp/solved-${run}` });

    // Assess
    expect(failing.body).toMatchObject({ passed: false, method: 'script', exit_code: 1 });
    expect(passing.body).toMatchObject({ passed: true, method: 'script', exit_code: 0 });
  });

  it('returns the logs of a service that printed and crashed, after the environment failed', async () => {
    // Prepare
    const env = await environment('crash-late', 'failed');

    // Act
    const reply = await call('GET', `${env.url}/logs?tail=50`);
    const failed = await call('GET', env.url);
    const pointer = /; its logs: GET (\S+) /.exec(failed.body.error ?? '')?.[1] ?? '';
    const followed = await call('GET', `${stack.apiUrl}${pointer}`);

    // Assess
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.service).toBe('web');
    expect(reply.body.lines.map((l: { message: string }) => l.message)).toContain('about to crash');
    // The failed environment's error says where to look, and that is where the output is.
    expect(pointer).toBe(`${new URL(env.url).pathname}/logs?service=web`);
    expect(failed.body.error).toContain(`(CLI: taskenv env logs ${env.id} --service web)`);
    expect(followed.status, JSON.stringify(followed.body)).toBe(200);
    expect(followed.body.lines.map((l: { message: string }) => l.message)).toContain('about to crash');
  });

  it('runs a command in an environment claimed from a warm pool, with its derived token', async () => {
    // Prepare: a pool of one warm exec-box task (started before any token existed).
    const pool = `${stack.apiUrl}/api/v1/org/${stack.org}/pools/exec-box@1.0.0`;
    const put = await call('PUT', pool, { size: 1 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    for (let i = 0; i < 300 && (await call('GET', pool)).body.warm !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Act
    const created = await call('POST', environmentsUrl(stack), { task_ref: 'exec-box' });
    const reply = await call(
      'POST',
      `${environmentsUrl(stack)}/${created.body.id}/execute`,
      { command: 'echo claimed' },
      { 'X-Environment-Token': created.body.execute_token },
    );
    await call('PUT', pool, { size: 0 });

    // Assess
    expect(created.body.state).toBe('ready');
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toMatchObject({ exit_code: 0, output: 'claimed\n' });
  }, 30_000);

  it('leaves the flag in no stack log line and no environment or execution item', async () => {
    const client = createDocumentClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1' });
    const { Items = [] } = await client.send(new ScanCommand({ TableName: stack.tableName }));
    const written = Items.filter((item) => String(item.pk).startsWith('ENV#'));
    expect(written.length).toBeGreaterThan(0);
    expect(JSON.stringify(written)).not.toContain(FLAG);
    expect(logs.join('\n')).not.toContain(FLAG);
  });
});
