import type { EnvironmentState, ServiceUrls } from '#domain/environment';

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

/** Publishes integration events (the taskenv EventBridge bus on AWS, in-process locally). */
export interface EventPublisher {
  publish(events: readonly EnvironmentStateChange[]): Promise<void>;
}
