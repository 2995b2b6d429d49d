import { beforeEach, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

it('publishes a task and provisions an environment from it', async () => {
  const { org, adminKey } = await api.seedOrg();
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  expect(published.status, published.raw).toBe(201);
  const created = await api.call('POST', `/api/v1/org/${org}/ws/default/environments`, {
    key: adminKey,
    body: { task_ref: 'web-sqli', inputs: { user: 'bob' } },
  });
  expect(created.status, created.raw).toBe(201);
  expect(created.body.state).toBe('building');
  expect(created.body.task_ref).toBe(`${org}/web-sqli@1.2.0`);
  expect(typeof created.body.execute_token).toBe('string');
  const status = await api.call('GET', `/api/v1/org/${org}/ws/default/environments/${created.body.id}/status`, { key: adminKey });
  expect(status.status, status.raw).toBe(200);
});
