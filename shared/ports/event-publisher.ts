import type { EnvironmentStateChange } from '#domain/integration-event';

export type { EnvironmentStateChange };

/** Publishes integration events (the taskenv EventBridge bus on AWS, in-process locally). */
export interface EventPublisher {
  publish(events: readonly EnvironmentStateChange[]): Promise<void>;
}
