/**
 * The "Environment State Change" integration event (`docs/events.md`), built from the stored
 * record. Fields are picked one by one rather than spread, so a field added to the record
 * later (the execute token hash, inputs that may carry something private) never reaches an
 * integration by accident.
 */
import type { EnvironmentRecord, EnvironmentState, ServiceUrls } from './environment.ts';

/** Detail of an "Environment State Change" integration event (`docs/events.md`). No secrets. */
export interface EnvironmentStateChange {
  readonly environment_id: string;
  readonly org: string;
  readonly workspace: string;
  readonly project_id: string;
  readonly task_ref: string;
  readonly state: EnvironmentState;
  readonly previous_state: EnvironmentState | null;
  readonly service_urls: ServiceUrls | null;
  readonly error: string | null;
  readonly time: string;
}

/** Detail of an "Environment Verified" integration event (`docs/events.md`). Never the answer. */
export interface EnvironmentVerified {
  readonly environment_id: string;
  readonly org: string;
  readonly workspace: string;
  readonly project_id: string;
  readonly task_ref: string;
  readonly passed: boolean;
  readonly method: string;
  readonly time: string;
}

/**
 * The detail of the event announcing that `record` is now in its state.
 *
 * @param previousState the state before this change; null for a new environment, or when a
 *   redelivered change is announced again and the state before it is no longer known.
 * @param time when taskenv recorded the change; consumers order one environment's events by it.
 */
export const stateChangeEvent = (
  record: EnvironmentRecord,
  previousState: EnvironmentState | null,
  time: Date,
): EnvironmentStateChange => ({
  environment_id: record.id,
  org: record.org,
  workspace: record.workspace,
  project_id: record.projectId,
  task_ref: record.taskRef,
  state: record.state,
  previous_state: previousState,
  service_urls: record.serviceUrls,
  error: record.error,
  time: time.toISOString(),
});

/** The detail of the event announcing a `verify` result. Carries no answer, flag or output. */
export const verifiedEvent = (
  record: EnvironmentRecord,
  result: { readonly passed: boolean; readonly method: string; readonly verifiedAt: string },
): EnvironmentVerified => ({
  environment_id: record.id,
  org: record.org,
  workspace: record.workspace,
  project_id: record.projectId,
  task_ref: record.taskRef,
  passed: result.passed,
  method: result.method,
  time: result.verifiedAt,
});
