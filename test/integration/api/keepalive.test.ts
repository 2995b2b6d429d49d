/**
 * Keepalive when the scheduler refuses the new stop time: the old stop must not end the
 * environment early, and the client's extension still counts (the reconciler enforces it).
 */
import { CreateScheduleCommand, DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { beforeEach, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

it('removes the old scheduled stop and answers 200 when the new schedule cannot be written', async () => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  const base = `/api/v1/org/${org}/ws/default/environments`;
  const created = await api.call('POST', base, {
    key: adminKey,
    body: { task_ref: 'web-sqli', timeout_sec: 600 },
  });
  expect(created.status, created.raw).toBe(201);
  aws.scheduler.on(CreateScheduleCommand).rejects(new Error('Scheduler is unavailable'));

  // Act
  const reply = await api.call('POST', `${base}/${created.body.id}/keepalive`, {
    key: adminKey,
    body: { extend_seconds: 1200 },
  });

  // Assess
  expect(reply.status, reply.raw).toBe(200);
  expect(Date.parse(reply.body.expires_at)).toBeGreaterThan(Date.parse(created.body.expires_at));
  expect(aws.scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input)).toEqual([
    { Name: `taskenv-${created.body.id}`, GroupName: 'taskenv' },
  ]);
  const read = await api.call('GET', `${base}/${created.body.id}`, { key: adminKey });
  expect(read.body.expires_at).toBe(reply.body.expires_at);
});

it("caps expires_at at created_at + the task's timeout.max_sec, below the org maximum", async () => {
  // Prepare: the task allows 900 s in all; the org (default) allows far more.
  const { org, adminKey } = await api.seedOrg();
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, {
    key: adminKey,
    body: manifest({ timeout: { default_sec: 600, max_sec: 900 } }),
  });
  expect(published.status, published.raw).toBe(201);
  const base = `/api/v1/org/${org}/ws/default/environments`;
  const created = await api.call('POST', base, { key: adminKey, body: { task_ref: 'web-sqli' } });
  expect(created.status, created.raw).toBe(201);

  // Act
  const reply = await api.call('POST', `${base}/${created.body.id}/keepalive`, {
    key: adminKey,
    body: { extend_seconds: 3600 },
  });

  // Assess
  expect(reply.status, reply.raw).toBe(200);
  expect((Date.parse(reply.body.expires_at) - Date.parse(created.body.created_at)) / 1000).toBe(900);
});

it('answers 409 conflict_error for a final environment', async () => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  const base = `/api/v1/org/${org}/ws/default/environments`;
  const created = await api.call('POST', base, { key: adminKey, body: { task_ref: 'web-sqli' } });
  const deleted = await api.call('DELETE', `${base}/${created.body.id}`, { key: adminKey });
  expect(deleted.status, deleted.raw).toBe(200);

  // Act
  const reply = await api.call('POST', `${base}/${created.body.id}/keepalive`, {
    key: adminKey,
    body: { extend_seconds: 600 },
  });

  // Assess
  expectError(reply, 409, 'conflict_error');
  expect(reply.body.detail).toContain('torn_down');
});
