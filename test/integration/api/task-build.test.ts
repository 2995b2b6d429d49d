/**
 * A manifest with a `build` service sent to the API: a 422 that tells the author to use
 * `taskenv task push`, and nothing registered.
 */
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

describe('publishing a task with build', () => {
  it('answers 422 at the build key naming `taskenv task push`, and registers nothing', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    const body = manifest({ services: { web: { build: { context: 'challenge' }, ports: [80] } } });

    // Act
    const published = await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body });
    const read = await api.call('GET', `/api/v1/org/${org}/tasks/web-sqli`, { key: adminKey });

    // Assess
    expectError(published, 422, 'validation_error');
    expect(published.body.errors).toEqual([
      {
        loc: ['body', 'services', 'web', 'build'],
        msg: expect.stringContaining('`taskenv task push <dir>`'),
        type: 'build_not_publishable',
      },
    ]);
    expect(aws.ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expectError(read, 404, 'not_found_error');
  });
});
