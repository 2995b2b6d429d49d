import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type {
  EnvironmentStateChange,
  EnvironmentVerified,
  EventPublisher,
  VerifiedEventPublisher,
} from '#ports/event-publisher';

/** PutEvents takes at most 10 entries per call. */
const BATCH_SIZE = 10;

export const EVENT_SOURCE = 'taskenv';
const ENVIRONMENT_STATE_CHANGE = 'Environment State Change';
const ENVIRONMENT_VERIFIED = 'Environment Verified';

/** Some entries of a PutEvents call were not accepted; the whole publish must be retried. */
export class PublishFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishFailedError';
  }
}

/**
 * {@link EventPublisher} on an EventBridge bus. A partly failed PutEvents throws so the
 * consuming Lambda is retried; integrations therefore see events at least once.
 */
export class EventBridgePublisher implements EventPublisher, VerifiedEventPublisher {
  readonly #eventBridge: EventBridgeClient;
  readonly #busName: string;

  constructor({ eventBridge, busName }: { eventBridge: EventBridgeClient; busName: string }) {
    this.#eventBridge = eventBridge;
    this.#busName = busName;
  }

  async publish(events: readonly EnvironmentStateChange[]): Promise<void> {
    await this.#put(events.map((event) => ({ detailType: ENVIRONMENT_STATE_CHANGE, detail: event })));
  }

  async publishVerified(event: EnvironmentVerified): Promise<void> {
    await this.#put([{ detailType: ENVIRONMENT_VERIFIED, detail: event }]);
  }

  async #put(events: readonly { detailType: string; detail: object }[]): Promise<void> {
    const entries = events.map(
      (event): PutEventsRequestEntry => ({
        EventBusName: this.#busName,
        Source: EVENT_SOURCE,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
        Resources: [],
      }),
    );
    for (let i = 0; i < entries.length; i += BATCH_SIZE) {
      const response = await this.#eventBridge.send(
        new PutEventsCommand({ Entries: entries.slice(i, i + BATCH_SIZE) }),
      );
      const failedCount = response.FailedEntryCount ?? 0;
      if (failedCount > 0) {
        const reasons = [
          ...new Set(
            (response.Entries ?? [])
              .filter((entry) => entry.ErrorCode !== undefined)
              .map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage ?? 'no message'}`),
          ),
        ];
        throw new PublishFailedError(
          `EventBridge rejected ${failedCount} of ${Math.min(BATCH_SIZE, entries.length - i)} events (${reasons.join('; ')})`,
        );
      }
    }
  }
}
