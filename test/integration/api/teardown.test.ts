/**
 * DELETE of a ready environment: the URLs and an instruction rendered with them are withdrawn,
 * and the STOPPED event that follows does not turn `torn_down` into `failed`.
 */
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { StopTaskCommand } from '@aws-sdk/client-ecs';
import { beforeEach, expect, it } from 'vitest';
import { lambdaContext } from '#local/gateway';
import { createApiHarness, createAwsMocks, manifest } from '#test/support/api-harness';
import { ecsEvent, stoppedEvent } from '#test/support/ecs-events';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

it('withdraws service URLs and the URL-bearing instruction on DELETE; the STOPPED event keeps torn_down', async () => {
  // Prepare: a ready environment, driven there by the real RUNNING event with a mocked public IP.
  const { org, adminKey } = await api.seedOrg();
  await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  const base = `/api/v1/org/${org}/ws/default/environments`;
  const created = await api.call('POST', base, {
    key: adminKey,
    body: { task_ref: 'web-sqli', inputs: { user: 'eve' } },
  });
  const id: string = created.body.id;
  const taskArn = (await api.stores.store.get(id))?.taskArn;
  aws.ec2
    .on(DescribeNetworkInterfacesCommand)
    .resolves({ NetworkInterfaces: [{ Association: { PublicIp: '203.0.113.7' } }] });
  await api.handlers.taskEvents(ecsEvent('running-fargate', id, { taskArn }), lambdaContext('task-events'));
  const ready = await api.call('GET', `${base}/${id}`, { key: adminKey });
  expect(ready.body.state).toBe('ready');
  expect(ready.body.instruction).toBe('Log in to http://203.0.113.7:80/login as eve.');

  // Act
  const deleted = await api.call('DELETE', `${base}/${id}`, { key: adminKey });
  const stopped = stoppedEvent(id, 9, {
    exitCode: 143,
    stopCode: 'UserInitiated',
    stoppedReason: 'taskenv: deleted',
  });
  await api.handlers.taskEvents(
    { ...stopped, detail: { ...stopped.detail, taskArn } },
    lambdaContext('task-events'),
  );

  // Assess
  expect(deleted.status, deleted.raw).toBe(200);
  expect(deleted.body).toMatchObject({
    state: 'torn_down',
    service_urls: null,
    instruction: null,
    error: null,
  });
  expect(aws.ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
  const after = await api.call('GET', `${base}/${id}`, { key: adminKey });
  expect(after.body).toMatchObject({
    state: 'torn_down',
    service_urls: null,
    instruction: null,
    error: null,
  });
});
