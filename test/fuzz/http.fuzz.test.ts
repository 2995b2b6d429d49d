/**
 * HTTP fuzzing of the local stack (issue 7): random requests built from the real route shapes
 * and from garbage (methods, path segments with broken escapes, query strings, headers with
 * valid and invalid API keys and content types, bodies from plausible requests to broken JSON,
 * near-limit and over-limit sizes, deep nesting and unicode). Every answer must be below 500
 * and, when not 2xx, exactly the canonical envelope; the server must still answer afterwards.
 *
 * `FUZZ_RUNS` (default 5000) is the number of requests; they go in batches of
 * {@link BATCH} at once. `FUZZ_SEED` replays a run (fast-check prints the seed of a failure).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentResponseSchema } from '#domain/api-schemas';
import { type LocalStack, startLocalStack } from '#local/stack';
import { routes } from '#shared/routes';
import {
  ApiClient,
  envelopeProblem,
  markerSeconds,
  positiveIntEnv,
  processesMatching,
  sleepTask,
  workspacePath,
} from '#test/load/stack-client';

const REQUESTS = positiveIntEnv('FUZZ_RUNS', 5000);
const BATCH = 8;
const REPLY_TIMEOUT_MS = 30_000;
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

interface FuzzRequest {
  readonly method: string;
  /** Path and query, ASCII only (non-ASCII is percent-encoded, possibly badly). */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

interface FuzzReply {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly raw: string;
}

/** node:http rather than fetch: it sends GET bodies, any method token and broken escapes as they are. */
const agent = new Agent({ keepAlive: true, maxSockets: BATCH });
const send = (baseUrl: string, request: FuzzRequest): Promise<FuzzReply> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl);
    const headers =
      request.body === null
        ? request.headers
        : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
    const outgoing = httpRequest(
      { agent, hostname, port, method: request.method, path: request.target, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'],
            raw: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    // An unanswered request is a finding too; fail it rather than hang the run.
    outgoing.setTimeout(REPLY_TIMEOUT_MS, () =>
      outgoing.destroy(
        new Error(
          `No answer within ${REPLY_TIMEOUT_MS} ms to ${request.method} ${request.target.slice(0, 200)}`,
        ),
      ),
    );
    outgoing.end(request.body ?? undefined);
  });

const parse = (raw: string): unknown => {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
};

/** Bytes a header value may hold (HTTP field-vchar, space, tab and obs-text). */
const headerValue = fc
  .array(
    fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)),
    {
      maxLength: 80,
    },
  )
  .map((codes) => String.fromCharCode(...codes).trim());

/** Non-ASCII and reserved characters percent-encoded; sometimes a `%` left bare (a broken escape). */
const encode = (text: string, breakEscapes: boolean): string => {
  const encoded = encodeURIComponent(text);
  return breakEscapes ? encoded.replace(/%25/g, '%') : encoded;
};

describe('fuzz: random HTTP requests against the local stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let api: ApiClient;
  const sleepSeconds = markerSeconds();
  const known = { environmentId: '', secretId: 'fuzz-secret' };

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    dataDir = await mkdtemp(join(tmpdir(), 'taskenv-fuzz-'));
    // No example tasks: the only task a fuzzed create can launch is the marked sleeper.
    stack = await startLocalStack({
      dataDir,
      port: 0,
      examplesDir: join(dataDir, 'no-examples'),
      log: () => undefined,
      // Requests come faster than the stage rate; throttled they would mostly meet the 429
      // (tested on its own in test/e2e/front-door.test.ts) instead of the handlers.
      throttle: null,
    });
    api = new ApiClient(stack.apiUrl, stack.apiKey);
    const published = await api.request('POST', `/api/v1/org/${stack.org}/tasks`, {
      json: sleepTask('fuzz-sleep', sleepSeconds),
    });
    if (published.status !== 201) throw new Error(`publishing failed: ${published.raw}`);
    const base = workspacePath(stack.org, stack.workspace);
    const created = await api.request('POST', `${base}/environments`, { json: { task_ref: 'fuzz-sleep' } });
    known.environmentId = environmentResponseSchema.parse(created.body).id;
    const secret = await api.request('PUT', `${base}/secrets/${known.secretId}`, {
      json: { value: 's3cr3t-fuzz' },
    });
    if (secret.status !== 200) throw new Error(`seeding the secret failed: ${secret.raw}`);
  });

  afterAll(async () => {
    agent.destroy();
    await stack?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    expect(await processesMatching([`sleep ${sleepSeconds}`])).toEqual([]);
  });

  const arbitraries = () => {
    const { org, workspace } = stack;
    const segment = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          org,
          workspace,
          known.environmentId,
          known.secretId,
          'fuzz-sleep',
          'fuzz-sleep@1.0.0',
          'fuzz-sleep@latest',
          'other-org',
        ),
      },
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          '.',
          '..',
          '%',
          '%zz',
          '@',
          'a@b@c',
          '@1.0.0',
          '{id}',
          'x'.repeat(3000),
        ),
      },
    );
    // Each route of the table, its parameters filled mostly with values that exist.
    const parameter: Record<string, fc.Arbitrary<string>> = {
      org: fc.oneof({ weight: 8, arbitrary: fc.constant(org) }, { weight: 2, arbitrary: segment }),
      workspace: fc.oneof(
        { weight: 6, arbitrary: fc.constant(workspace) },
        { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/) },
        { weight: 2, arbitrary: segment },
      ),
      id: fc.oneof(
        { weight: 5, arbitrary: fc.constant(known.environmentId) },
        { weight: 3, arbitrary: fc.uuid() },
        { weight: 2, arbitrary: segment },
      ),
      name: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.constantFrom(
            'fuzz-sleep',
            'fuzz-sleep@1.0.0',
            'fuzz-sleep@latest',
            'fuzz-sleep@2.0.0',
          ),
        },
        { weight: 4, arbitrary: segment },
      ),
      secret_id: fc.oneof(
        { weight: 5, arbitrary: fc.constant(known.secretId) },
        { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/) },
        { weight: 2, arbitrary: segment },
      ),
    };
    const routed = fc.constantFrom(...routes).chain((route) => {
      const parts = route.path.split('/').slice(1);
      return fc
        .tuple(
          ...parts.map((part) => {
            const name = /^\{([a-z_]+)\}$/.exec(part)?.[1];
            return name === undefined ? fc.constant(part) : (parameter[name] ?? segment);
          }),
        )
        .map((filled) => ({
          operationId: route.operationId as string,
          method: route.method as string,
          parts: filled,
        }));
    });
    const path = fc
      .tuple(
        fc.oneof(
          { weight: 8, arbitrary: routed },
          {
            weight: 2,
            arbitrary: fc
              .tuple(fc.constantFrom(...routes), fc.array(segment, { maxLength: 8 }))
              .map(([route, parts]) => ({
                operationId: route.operationId as string,
                method: route.method as string,
                parts,
              })),
          },
        ),
        fc.boolean(),
        fc.oneof(
          { weight: 18, arbitrary: fc.constant('') },
          { weight: 2, arbitrary: fc.constantFrom('/', '//') },
        ),
      )
      .map(([{ operationId, method, parts }, breakEscapes, trailing]) => ({
        operationId,
        method,
        path: `/${parts.map((p) => encode(p, breakEscapes)).join('/')}${trailing}`,
      }));

    const queryValue = fc.oneof(
      fc.constantFrom(
        'ready',
        'building',
        'torn_down',
        'nope',
        '1',
        '0',
        '-1',
        '200',
        '201',
        '1e3',
        '1.5',
        '',
      ),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.integer().map(String),
    );
    // `?state=` repeated up to well past the number of states and DynamoDB's 100 IN operands.
    const repeatedState = fc
      .tuple(
        fc.array(fc.constantFrom('ready', 'building', 'failed', 'nope'), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 150 }),
      )
      .map(
        ([values, times]) =>
          `?${Array.from({ length: times }, (_, i) => `state=${values[i % values.length]}`).join('&')}`,
      );
    const plainQuery = fc
      .tuple(
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom('state', 'project_id', 'page', 'limit'), fc.string({ maxLength: 10 })),
            queryValue,
          ),
          { maxLength: 6 },
        ),
        fc.boolean(),
      )
      .map(([pairs, breakEscapes]) =>
        pairs.length === 0
          ? ''
          : `?${pairs.map(([k, v]) => `${encode(k, breakEscapes)}=${encode(v, breakEscapes)}`).join('&')}`,
      );
    const query = fc.oneof({ weight: 5, arbitrary: plainQuery }, { weight: 1, arbitrary: repeatedState });

    const authorization = fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${stack.apiKey}`) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'Bearer',
          'Bearer ',
          `bearer ${stack.apiKey}`,
          `Bearer ${stack.apiKey}x`,
          `Bearer ${stack.apiKey.slice(0, -1)}`,
          `Basic ${Buffer.from('a:b').toString('base64')}`,
          `Bearer tk_${'0'.repeat(40)}`,
          `Bearer ${stack.apiKey} ${stack.apiKey}`,
        ),
      },
      { weight: 1, arbitrary: headerValue },
    );
    const contentType = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/problem+json',
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          'APPLICATION/JSON',
          'application/jsonx',
          '',
        ),
      },
      { weight: 1, arbitrary: headerValue },
    );
    /** Present most of the time; absent (null, dropped below) otherwise. */
    const mostly = <T>(arbitrary: fc.Arbitrary<T>, absentOneIn: number) =>
      fc.option(arbitrary, { freq: absentOneIn });
    const headers = fc
      .record({
        authorization: mostly(authorization, 8),
        'content-type': mostly(contentType, 6),
        'idempotency-key': fc.option(fc.oneof(fc.uuid(), headerValue, fc.constant('k'.repeat(300))), {
          freq: 2,
        }),
        'x-taskenv-client-version': fc.option(
          fc.oneof(fc.constantFrom('0.0.1', '1.0.0', '99.0.0', 'abc', '1.2'), headerValue),
          { freq: 2 },
        ),
        accept: fc.option(fc.constantFrom('application/json', '*/*', 'text/html'), { freq: 2 }),
        extra: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerValue, { maxKeys: 3 }),
      })
      .map(({ extra, ...named }) => ({
        ...extra,
        ...Object.fromEntries(
          Object.entries(named).filter((entry): entry is [string, string] => entry[1] !== null),
        ),
      }));

    // Shapes that pass a schema but break a store (issue 11): reserved and empty keys, numbers
    // beyond 2^53, nesting around DynamoDB's 32 levels, control characters.
    const reservedKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '');
    const hugeNumber = fc.constantFrom(2 ** 53 + 2, -(2 ** 60), 1e300, 1.7976931348623157e308, 2 ** 53);
    const controlText = fc
      .tuple(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('\u0000', '\r\n', '\n', '\t', '\u001b', '\u007f', '\u0085'),
      )
      .map(([text, control]) => `${text}${control}${text}`);
    const nestedValue = fc.integer({ min: 28, max: 36 }).map((depth) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = { n: value };
      return value;
    });
    const json = fc.oneof(
      { weight: 12, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      { weight: 1, arbitrary: hugeNumber },
      { weight: 1, arbitrary: controlText },
      { weight: 1, arbitrary: nestedValue },
    );
    /** An object with one reserved or empty key, as JSON text (so `__proto__` stays an own key). */
    const withReservedKey = (inner: fc.Arbitrary<unknown>) =>
      fc.tuple(reservedKey, inner).map(([key, value]) => `{${JSON.stringify(key)}:${JSON.stringify(value)}}`);
    const createBody = fc.record(
      {
        task_ref: fc.oneof(
          fc.constantFrom(
            'fuzz-sleep',
            `${org}/fuzz-sleep`,
            `${org}/fuzz-sleep@1.0.0`,
            'fuzz-sleep@9.9.9',
            'other/x',
            '',
          ),
          fc.string({ unit: 'grapheme', maxLength: 40 }),
          json,
        ),
        inputs: fc.oneof(
          fc.constant(null),
          fc.dictionary(fc.string({ maxLength: 10 }), json, { maxKeys: 3 }),
          json,
        ),
        project_id: fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 30 }), json),
        secret_ids: fc.oneof(
          fc.constant(null),
          fc.array(fc.oneof(fc.constant(known.secretId), fc.string()), { maxLength: 4 }),
          json,
        ),
        timeout_sec: fc.oneof(fc.constant(null), fc.integer(), fc.double(), fc.string({ maxLength: 5 })),
        surprise: json,
      },
      { requiredKeys: [] },
    );
    const manifestBody = fc.record(
      {
        name: fc.oneof(fc.stringMatching(/^fz[a-z0-9-]{0,10}$/), fc.string({ maxLength: 10 })),
        version: fc.oneof(fc.constantFrom('1.0.0', '01.0.0', '1.0', 'latest'), fc.string({ maxLength: 8 })),
        instruction: fc.oneof(
          fc.constantFrom('Hi {{ environment_id }}', 'Go to {{ web_url }}', '{{ nope }}', '{{', '{% raw %}'),
          fc.string({ unit: 'grapheme', maxLength: 60 }),
        ),
        services: fc.oneof(
          fc.constant({ main: { image: 'busybox', command: ['true'], local: { command: ['true'] } } }),
          fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 3 }),
          json,
        ),
        inputs: fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 2 }),
        resources: fc.oneof(fc.record({ cpu: fc.integer(), memory: fc.integer() }), json),
        timeout: fc.oneof(
          fc.record({ default_sec: fc.integer(), max_sec: fc.integer() }, { requiredKeys: [] }),
          json,
        ),
      },
      { requiredKeys: [] },
    );
    // Creates that succeed (until the org's quota answers 429), so the success path is fuzzed too.
    const validCreate = fc.record(
      {
        task_ref: fc.constantFrom('fuzz-sleep', `${org}/fuzz-sleep@1.0.0`),
        timeout_sec: fc.integer({ min: 1, max: 3600 }),
        project_id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
      },
      { requiredKeys: ['task_ref'] },
    );
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: validCreate.map((v) => JSON.stringify(v)) },
      { weight: 3, arbitrary: json.map((v) => JSON.stringify(v)) },
      { weight: 4, arbitrary: createBody.map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: manifestBody.map((v) => JSON.stringify(v)) },
      {
        weight: 2,
        arbitrary: fc
          .record(
            {
              extend_seconds: fc.oneof(fc.integer({ min: -100, max: 10_000 }), fc.double(), fc.string()),
              value: fc.string({ unit: 'binary' }),
              env_var: fc.string(),
            },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            createBody.map((v) => JSON.stringify(v)),
            fc.nat(),
            fc.constantFrom('', '}', '{', ',', '"', '\u0000', 'NaN'),
          )
          .map(([text, cut, tail]) => text.slice(0, cut % (text.length + 1)) + tail),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(1024, 256 * 1024 - 64, 256 * 1024, 256 * 1024 + 1, 300 * 1024)
          .map((size) => JSON.stringify({ task_ref: 'fuzz-sleep', project_id: 'p'.repeat(size) })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 10, max: 60_000 }), fc.constantFrom('array', 'object', 'inputs'))
          .map(([depth, kind]) =>
            kind === 'array'
              ? '['.repeat(depth) + ']'.repeat(depth)
              : kind === 'object'
                ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
                : `{"task_ref":"fuzz-sleep","inputs":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
          ),
      },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      {
        weight: 2,
        arbitrary: fc
          .record({
            value: fc.oneof(controlText, fc.string({ minLength: 1, maxLength: 20 })),
            env_var: fc.constantFrom(
              'PATH',
              'HOME',
              'LD_PRELOAD',
              'NODE_OPTIONS',
              'PYTHONPATH',
              'BASH_ENV',
              'ENV',
              'TASKENV_X',
              'API_TOKEN',
            ),
          })
          .map((v) => JSON.stringify(v)),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            withReservedKey(fc.jsonValue({ maxDepth: 2 })),
            fc.constantFrom('inputs', 'services', 'verification'),
          )
          .map(([object, field]) =>
            field === 'inputs'
              ? `{"task_ref":"fuzz-sleep","inputs":${object}}`
              : `{"name":"fz-keys","version":"1.0.0","instruction":"Hi","services":${field === 'services' ? object : '{"main":{"image":"busybox","local":{"command":["true"]}}}'}${field === 'verification' ? `,"verification":{"method":"flag","x":${object}}` : ''}}`,
          ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom('1000000.0.0', '1.0.9999999', '1.2.3'),
            fc.integer({ min: 14, max: 20 }),
            fc.boolean(),
          )
          .map(([version, ports, shared]) =>
            JSON.stringify({
              name: 'fz-ports',
              version,
              instruction: 'Hi',
              services: {
                a: {
                  image: 'x',
                  ports: Array.from({ length: ports }, (_, i) => 9000 + i),
                  local: { command: ['true'] },
                },
                ...(shared ? { b: { image: 'y', ports: [9000], local: { command: ['true'] } } } : {}),
              },
            }),
          ),
      },
    );
    // Mostly the route's own method, so requests get past routing into the handlers.
    const otherMethod = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') },
      { weight: 1, arbitrary: fc.constantFrom('PATCH', 'HEAD', 'OPTIONS', 'PURGE', 'get', 'FOO') },
    );
    const validCreateBody = validCreate.map((v) => JSON.stringify(v));
    return fc
      .record({
        target: fc.tuple(path, query),
        other: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: otherMethod }),
        headers,
      })
      .chain(({ target: [{ operationId, method, path: p }, q], other, headers: h }) =>
        // A create that can succeed is rare by chance alone; give the create route its share.
        (operationId === 'createEnvironment' ? fc.oneof(validCreateBody, body) : body).map((b) => ({
          method: other ?? method,
          target: p + q,
          headers: h,
          body: b,
        })),
      );
  };

  it(`answers ${REQUESTS} random requests below 500, every error as the exact envelope, and stays up`, async () => {
    // Prepare
    const request = arbitraries();
    let sent = 0;
    const statuses = new Map<number, number>();

    // Act
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const replies = await Promise.all(batch.map((r) => send(stack.apiUrl, r)));
        sent += batch.length;
        for (const [index, reply] of replies.entries()) {
          const sentRequest = batch[index];
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const where = `${sentRequest?.method} ${sentRequest?.target.slice(0, 200)}`;
          // Assess (each answer)
          expect(reply.status, `${where} → ${reply.raw.slice(0, 300)}`).toBeLessThan(500);
          const problem = envelopeProblem(
            { ...reply, body: parse(reply.raw) },
            sentRequest?.method.toUpperCase(),
          );
          expect(problem, where).toBeNull();
          if (reply.status >= 300 && sentRequest?.method.toUpperCase() !== 'HEAD') {
            expect(reply.contentType, where).toBe('application/json');
          }
        }
      }),
      {
        numRuns: Math.ceil(REQUESTS / BATCH),
        ...(SEED === undefined ? {} : { seed: SEED }),
        endOnFailure: false,
      },
    );
    const seconds = (performance.now() - started) / 1000;

    // Assess: still up, and the API still works end to end.
    const health = await api.request('GET', '/healthz', { auth: false });
    expect(health.status).toBe(200);
    const status = await api.request(
      'GET',
      `${workspacePath(stack.org, stack.workspace)}/environments/${known.environmentId}/status`,
    );
    expect(status.status).toBe(200);
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    console.info(
      `fuzz summary ${JSON.stringify({ requests: sent, seconds: Number(seconds.toFixed(1)), statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)) })}`,
    );
  }, 600_000);

  // Regressions the fuzzing found in the local server, each pinned by one request.

  it('answers a body over the server read limit with the 400 envelope, not a reset connection', async () => {
    // Prepare
    const body = JSON.stringify({ task_ref: 'fuzz-sleep', project_id: 'p'.repeat(11 * 1024 * 1024) });

    // Act
    const reply = await send(stack.apiUrl, {
      method: 'POST',
      target: `${workspacePath(stack.org, stack.workspace)}/environments`,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body,
    });

    // Assess
    expect(reply.status).toBe(400);
    expect(envelopeProblem({ ...reply, body: parse(reply.raw) })).toBeNull();
  });

  it('answers the target "//" (not a URL against any base) and keeps serving', async () => {
    // Act
    const replies = await Promise.all(
      ['//', '//x', `//api/v1/org/${stack.org}/tasks`].map((target) =>
        send(stack.apiUrl, { method: 'GET', target, headers: {}, body: null }),
      ),
    );
    const health = await api.request('GET', '/healthz', { auth: false });

    // Assess
    expect(replies.map((r) => r.status)).toEqual([404, 404, 404]);
    for (const reply of replies) expect(envelopeProblem({ ...reply, body: parse(reply.raw) })).toBeNull();
    expect(health.status).toBe(200);
  });

  it('answers a request Node cannot parse (an unknown method) with the 400 envelope', async () => {
    // Act
    const reply = await send(stack.apiUrl, { method: 'FOO', target: '/healthz', headers: {}, body: null });

    // Assess
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe('application/json');
    expect(parse(reply.raw)).toEqual({
      code: 400,
      detail: 'Malformed HTTP request',
      type: 'invalid_request_error',
    });
  });
});
