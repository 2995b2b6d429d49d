/** Maps stored records to the wire shapes of `docs/api.md`. Nothing secret survives this mapping. */

import type {
  EnvironmentResponse,
  EnvironmentStatusResponse,
  ExecuteResponse,
  ExecutionAcceptedResponse,
  ExecutionResponse,
  KeyResponse,
  SecretResponse,
  TaskVersionResponse,
} from './api-schemas.ts';
import type { EnvironmentRecord, EnvironmentSummary } from './environment.ts';
import type { ExecutionRecord } from './execution.ts';
import type { ApiKeyRecord } from './principal.ts';
import type { SecretMetadata } from './secret.ts';
import { resolvedTaskRef } from './task-ref.ts';
import type { TaskVersionRecord } from './task-version.ts';

/** `executeToken` is passed only by the 201 of POST; every later read shows null. */
export const toEnvironmentResponse = (
  record: EnvironmentSummary,
  executeToken: string | null = null,
): EnvironmentResponse => ({
  id: record.id,
  task_ref: record.taskRef,
  state: record.state,
  created_at: record.createdAt,
  expires_at: record.expiresAt,
  project_id: record.projectId,
  instruction: record.instruction,
  service_urls: record.serviceUrls,
  execute_token: executeToken,
  task_verification: record.taskVerification,
  error: record.error,
  verification:
    record.verification === undefined || record.verification === null
      ? null
      : { passed: record.verification.passed, verified_at: record.verification.verifiedAt },
});

export const toEnvironmentStatus = (record: EnvironmentRecord): EnvironmentStatusResponse => ({
  id: record.id,
  state: record.state,
  expires_at: record.expiresAt,
  error: record.error,
  service_urls: record.serviceUrls,
});

/** An API key as the keys API shows it: never the key, never its hash. */
export const toKeyResponse = (key: ApiKeyRecord): KeyResponse => ({
  id: key.keyId,
  name: key.name ?? '',
  role: key.role,
  workspaces: [...key.workspaces],
  created_at: key.createdAt,
});

export const toSecretResponse = (secret: SecretMetadata): SecretResponse => ({
  id: secret.id,
  env_var: secret.envVar,
  preview: secret.preview,
  created_at: secret.createdAt,
  updated_at: secret.updatedAt,
});

export const toTaskVersionResponse = (task: TaskVersionRecord): TaskVersionResponse => ({
  task_ref: resolvedTaskRef(task),
  org: task.org,
  name: task.name,
  version: task.version,
  public: task.public,
  description: task.description,
  created_at: task.createdAt,
  // The verification answer is a secret of the task author: only its hash leaves the service.
  manifest: {
    ...task.manifest,
    verification: task.manifest.verification === undefined ? undefined : '[redacted]',
  },
});

/** The 200 of POST execute: a completed execution's result. */
export const toExecuteResponse = (execution: ExecutionRecord): ExecuteResponse => ({
  id: execution.id,
  exit_code: execution.exitCode ?? 0,
  output: execution.output ?? '',
  truncated: execution.truncated ?? false,
  timed_out: execution.timedOut ?? false,
  duration_ms: execution.durationMs ?? 0,
});

/** The 202 of POST execute: the command goes on. */
export const toExecutionAccepted = (execution: ExecutionRecord): ExecutionAcceptedResponse => ({
  id: execution.id,
  state: 'running',
  started_at: execution.startedAt,
});

export const toExecutionResponse = (execution: ExecutionRecord): ExecutionResponse => ({
  id: execution.id,
  state: execution.state,
  started_at: execution.startedAt,
  finished_at: execution.finishedAt,
  exit_code: execution.exitCode,
  output: execution.output,
  truncated: execution.truncated,
  timed_out: execution.timedOut,
  duration_ms: execution.durationMs,
});
