import type { EnvironmentStateChange, EnvironmentVerified } from '#domain/integration-event';

export type { EnvironmentStateChange, EnvironmentVerified };

/** Publishes integration events (the taskenv EventBridge bus on AWS, in-process locally). */
export interface EventPublisher {
  publish(events: readonly EnvironmentStateChange[]): Promise<void>;
}

/** Publishes "Environment Verified" events, on the same bus as the state changes. */
export interface VerifiedEventPublisher {
  publishVerified(event: EnvironmentVerified): Promise<void>;
}
