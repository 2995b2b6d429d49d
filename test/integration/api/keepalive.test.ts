/**
 * Keepalive when the scheduler refuses the new stop time: the old stop must not end the
 * environment early, and the client's extension still counts (the reconciler enforces it).
 */
import { CreateScheduleCommand, DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { beforeEach, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, manifest } from '#test/support/api-harness';

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
