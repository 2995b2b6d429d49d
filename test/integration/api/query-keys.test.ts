/**
 * Query keys are the client's, so they include `__proto__`: it must reach the query schema as
 * the unknown key it is, never a prototype. Found by the HTTP fuzzing (`test/fuzz`): the local
 * gateway answered `?__proto__=` with a 500, and the handlers dropped it silently (or, repeated,
 * reported the array indexes it became the prototype of).
 */
import { expect, it } from 'vitest';
import { createApiHarness, createAwsMocks } from '#test/support/api-harness';

createAwsMocks();
const api = createApiHarness();

it.each([
  ['once', '{"__proto__":""}'],
  ['repeated', '{"__proto__":["a","b"]}'],
  ['next to a valid key', '{"limit":"5","__proto__":"x"}'],
])('answers 422 locating a __proto__ query key (%s)', async (_, json) => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  // JSON.parse makes `__proto__` an own key, as the query string does (an object literal would not).
  const query: Record<string, string | string[]> = JSON.parse(json);

  // Act
  const reply = await api.call('GET', `/api/v1/org/${org}/ws/default/environments`, { key: adminKey, query });

  // Assess
  expect(reply.status, reply.raw).toBe(422);
  expect(reply.body).toEqual({
    code: 422,
    detail: 'Request validation failed',
    type: 'validation_error',
    errors: [{ loc: ['query', '__proto__'], msg: 'Unknown field', type: 'unrecognized_keys' }],
  });
});
