/** Stored records as the API shows them (`docs/api.md`): every field named, nothing secret. */
import { describe, expect, it } from 'vitest';
import { type ExecutionRecord, runningRecord } from '#domain/execution';
import { parseManifest } from '#domain/manifest';
import {
  toEnvironmentResponse,
  toEnvironmentStatus,
  toExecuteResponse,
  toExecutionAccepted,
  toExecutionResponse,
  toKeyResponse,
  toSecretResponse,
  toTaskVersionResponse,
} from '#domain/presenters';
import type { TaskVersionRecord } from '#domain/task-version';
import { makeEnvironment } from '#test/support/factories';

const T = '2026-01-01T00:00:00.000Z';
const URLS = { web: { url: 'http://10.0.0.5:80', host: '10.0.0.5', port: 80, protocol: 'http' as const } };

describe('toEnvironmentResponse', () => {
  const environment = makeEnvironment({
    id: 'env-1',
    createdAt: T,
    expiresAt: '2026-01-01T00:15:00.000Z',
    state: 'ready',
    instruction: 'Log in to http://10.0.0.5:80/login as admin.',
    serviceUrls: URLS,
    error: null,
  });

  it('shows every field under its wire name, the execute token only when given', () => {
    expect(toEnvironmentResponse(environment, 'tok-1')).toEqual({
      id: 'env-1',
      task_ref: 'acme/web-sqli@1.2.0',
      state: 'ready',
      created_at: T,
      expires_at: '2026-01-01T00:15:00.000Z',
      project_id: 'default',
      instruction: 'Log in to http://10.0.0.5:80/login as admin.',
      service_urls: URLS,
      execute_token: 'tok-1',
      task_verification: { method: 'flag', path: '/tmp/flag.txt' },
      error: null,
      verification: null,
    });
    expect(toEnvironmentResponse(environment).execute_token).toBeNull();
  });

  it('shows a verification result as passed and verified_at, none as null', () => {
    const verified = {
      ...environment,
      verification: { passed: true, verifiedAt: '2026-01-01T00:05:00.000Z' },
    };
    expect(toEnvironmentResponse(verified).verification).toEqual({
      passed: true,
      verified_at: '2026-01-01T00:05:00.000Z',
    });
    expect(toEnvironmentResponse({ ...environment, verification: null }).verification).toBeNull();
  });
});

describe('toEnvironmentStatus', () => {
  it('shows the id, state, expiry, error and URLs', () => {
    const environment = makeEnvironment({ id: 'env-2', state: 'failed', expiresAt: T, error: 'Exited 1' });
    expect(toEnvironmentStatus(environment)).toEqual({
      id: 'env-2',
      state: 'failed',
      expires_at: T,
      error: 'Exited 1',
      service_urls: null,
    });
  });
});

describe('toKeyResponse', () => {
  const key = {
    keyId: 'abcdefghij12',
    org: 'acme',
    role: 'member' as const,
    workspaces: ['dev'],
    keyHash: 'f'.repeat(64),
    name: 'ci',
    createdAt: T,
    revoked: false,
  };

  it('shows the id, name, role, workspaces and creation time, never the hash', () => {
    expect(toKeyResponse(key)).toEqual({
      id: 'abcdefghij12',
      name: 'ci',
      role: 'member',
      workspaces: ['dev'],
      created_at: T,
    });
  });

  it('shows a key made before names existed with an empty name', () => {
    const { name: _name, ...unnamed } = key;
    expect(toKeyResponse(unnamed).name).toBe('');
  });
});

describe('toSecretResponse', () => {
  it('shows the id, env var, preview and times, never where the value lives', () => {
    const secret = {
      org: 'acme',
      workspace: 'dev',
      id: 'api-key',
      envVar: 'API_KEY',
      preview: '****9f2c',
      valueRef: 'arn:aws:secretsmanager:x',
      createdAt: T,
      updatedAt: '2026-01-02T00:00:00.000Z',
    };
    expect(toSecretResponse(secret)).toEqual({
      id: 'api-key',
      env_var: 'API_KEY',
      preview: '****9f2c',
      created_at: T,
      updated_at: '2026-01-02T00:00:00.000Z',
    });
  });
});

describe('toTaskVersionResponse', () => {
  const manifest = parseManifest({
    name: 'hello',
    version: '1.0.0',
    instruction: 'Say hello.',
    services: { web: { image: 'nginx' } },
    verification: { method: 'flag', value: 'FLAG{x}' },
  });
  const task: TaskVersionRecord = {
    org: 'acme',
    name: 'hello',
    version: '1.0.0',
    public: true,
    description: 'Greets',
    manifest,
    taskDefinitionArn: null,
    createdAt: T,
  };

  it('shows the resolved ref and the manifest with its verification redacted', () => {
    expect(toTaskVersionResponse(task)).toEqual({
      task_ref: 'acme/hello@1.0.0',
      org: 'acme',
      name: 'hello',
      version: '1.0.0',
      public: true,
      description: 'Greets',
      created_at: T,
      manifest: { ...manifest, verification: '[redacted]' },
    });
  });

  it('leaves a manifest without verification without it', () => {
    const { verification: _v, ...unverified } = manifest;
    expect(toTaskVersionResponse({ ...task, manifest: unverified }).manifest.verification).toBeUndefined();
  });
});

describe('executions', () => {
  const running: ExecutionRecord = runningRecord({
    environmentId: 'env-1',
    executionId: 'ex-1',
    taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/t',
    service: 'web',
    command: 'true',
    timeoutSec: 30,
    env: {},
    workdir: null,
    purpose: 'command',
    startedAt: T,
  });
  const done: ExecutionRecord = {
    ...running,
    state: 'completed',
    finishedAt: '2026-01-01T00:00:02.000Z',
    exitCode: 3,
    output: 'hi\n',
    truncated: true,
    timedOut: true,
    durationMs: 2000,
  };

  it('shows a completed execution as its result, defaults where nothing was recorded', () => {
    expect(toExecuteResponse(done)).toEqual({
      id: 'ex-1',
      exit_code: 3,
      output: 'hi\n',
      truncated: true,
      timed_out: true,
      duration_ms: 2000,
    });
    expect(toExecuteResponse(running)).toEqual({
      id: 'ex-1',
      exit_code: 0,
      output: '',
      truncated: false,
      timed_out: false,
      duration_ms: 0,
    });
  });

  it('shows an accepted execution as running since its start', () => {
    expect(toExecutionAccepted(running)).toEqual({ id: 'ex-1', state: 'running', started_at: T });
  });

  it('shows an execution with every recorded field', () => {
    expect(toExecutionResponse(done)).toEqual({
      id: 'ex-1',
      state: 'completed',
      started_at: T,
      finished_at: '2026-01-01T00:00:02.000Z',
      exit_code: 3,
      output: 'hi\n',
      truncated: true,
      timed_out: true,
      duration_ms: 2000,
    });
  });
});
