/**
 * Pathologically nested bodies are refused as malformed before anything walks them. Found by the
 * HTTP fuzzing (`test/fuzz`): a create with `Idempotency-Key` and a few thousand nested arrays
 * in `inputs` passed the body schema (`inputs` values are checked later), then overflowed the
 * call stack while the idempotency layer hashed the payload, and answered 500.
 */
import { expect, it } from 'vitest';
import { MAX_BODY_DEPTH } from '#shared/http/http-function';
import { createApiHarness, createAwsMocks, manifest } from '#test/support/api-harness';

createAwsMocks();
const api = createApiHarness();

/** `levels` arrays, one inside the other, around a number. */
const nested = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

it.each([
  ['with an Idempotency-Key', { 'idempotency-key': 'deep-1' }, 10_000],
  ['without one', {}, 10_000],
  ['one level over the limit', {}, MAX_BODY_DEPTH + 1],
])('answers 400 invalid_request_error for a body nested too deeply (%s)', async (_, extra, depth) => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  // The body object is level 1 and `inputs` level 2; the arrays in `x` make up the rest.
  const body = `{"task_ref":"web-sqli","inputs":{"x":${nested(depth - 2)}}}`;

  // Act
  const reply = await api.call('POST', `/api/v1/org/${org}/ws/default/environments`, {
    key: adminKey,
    rawBody: body,
    headers: { 'content-type': 'application/json', ...extra },
  });

  // Assess
  expect(reply.status, reply.raw).toBe(400);
  expect(reply.body).toEqual({
    code: 400,
    detail: `Request body is nested deeper than ${MAX_BODY_DEPTH} levels`,
    type: 'invalid_request_error',
  });
});

it('lets a body nested exactly to the limit through to validation', async () => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });

  // Act
  const reply = await api.call('POST', `/api/v1/org/${org}/ws/default/environments`, {
    key: adminKey,
    rawBody: `{"task_ref":"web-sqli","inputs":{"x":${nested(MAX_BODY_DEPTH - 2)}}}`,
    headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-2' },
  });

  // Assess
  expect(reply.status, reply.raw).toBe(422);
  expect(reply.body.errors).toEqual([
    {
      loc: ['body', 'inputs', 'x'],
      msg: 'Unknown input: the task does not declare it',
      type: 'unknown_input',
    },
  ]);
});
