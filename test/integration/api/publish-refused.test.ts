/**
 * A manifest that passes taskenv's schema but not ECS's own validation of the task definition
 * it becomes: the publish is the author's mistake, a 422 carrying ECS's message, and nothing is
 * recorded.
 */
import { ClientException, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeEach, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

it('answers 422 with the message of a RegisterTaskDefinition ClientException, and records no version', async () => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  const message =
    'Invalid arn:aws:ecs:us-east-1:123456789012:task-definition: containers web and api both map port 80';
  aws.ecs.on(RegisterTaskDefinitionCommand).rejects(new ClientException({ message, $metadata: {} }));

  // Act
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  const read = await api.call('GET', `/api/v1/org/${org}/tasks/web-sqli`, { key: adminKey });

  // Assess
  expectError(published, 422, 'validation_error');
  expect(published.body.detail).toBe(`The container platform refused the task definition: ${message}`);
  expect(published.body.errors).toEqual([{ loc: ['body'], msg: message, type: 'platform_refused' }]);
  expect(read.status).toBe(404);
});

it('still answers 5xx for a fault of ECS itself, which is no mistake of the author', async () => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  aws.ecs.on(RegisterTaskDefinitionCommand).rejects(new Error('socket hang up'));

  // Act
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });

  // Assess
  expect(published.status).toBeGreaterThanOrEqual(500);
  expect(published.raw).not.toContain('socket hang up');
});
