/**
 * The integration events' details (`docs/events.md`), built from a stored record: every field a
 * consumer reads, and nothing else of the record (no token hash, no inputs, no verification).
 */
import { describe, expect, it } from 'vitest';
import { stateChangeEvent, verifiedEvent } from '#domain/integration-event';
import { makeEnvironment } from '#test/support/factories';

const record = makeEnvironment({
  id: 'env-1',
  org: 'acme',
  workspace: 'default',
  projectId: 'p1',
  taskRef: 'acme/web-sqli@1.2.0',
  state: 'failed',
  serviceUrls: { web: { url: 'http://10.0.0.1:80', host: '10.0.0.1', port: 80, protocol: 'http' } },
  error: 'boom',
});

describe('stateChangeEvent', () => {
  it('carries the record’s identity, state, URLs and error, and the time it is given', () => {
    expect(stateChangeEvent(record, 'ready', new Date('2026-06-01T10:00:00Z'))).toEqual({
      environment_id: 'env-1',
      org: 'acme',
      workspace: 'default',
      project_id: 'p1',
      task_ref: 'acme/web-sqli@1.2.0',
      state: 'failed',
      previous_state: 'ready',
      service_urls: { web: { url: 'http://10.0.0.1:80', host: '10.0.0.1', port: 80, protocol: 'http' } },
      error: 'boom',
      time: '2026-06-01T10:00:00.000Z',
    });
  });
});

describe('verifiedEvent', () => {
  it('carries the result and method, never the answer', () => {
    expect(
      verifiedEvent(record, { passed: true, method: 'flag', verifiedAt: '2026-06-01T10:05:00.000Z' }),
    ).toEqual({
      environment_id: 'env-1',
      org: 'acme',
      workspace: 'default',
      project_id: 'p1',
      task_ref: 'acme/web-sqli@1.2.0',
      passed: true,
      method: 'flag',
      time: '2026-06-01T10:05:00.000Z',
    });
  });
});
