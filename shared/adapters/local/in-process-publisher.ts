import type {
  EnvironmentStateChange,
  EnvironmentVerified,
  EventPublisher,
  VerifiedEventPublisher,
} from '#ports/event-publisher';
import type { Log } from '#ports/log';

/** Receives each published integration event, in publish order. */
export type EnvironmentEventListener = (event: EnvironmentStateChange) => void | Promise<void>;

/** How many events {@link InProcessPublisher.recent} keeps. */
const RECENT_EVENTS_CAPACITY = 1000;

/**
 * {@link EventPublisher} for the local stack, standing in for the taskenv EventBridge bus: it
 * keeps the most recent events in memory (to inspect or serve them) and hands each one to the
 * listeners. A listener that fails is logged and skipped: on AWS an integration's failure never
 * reaches the publisher either.
 */
export class InProcessPublisher implements EventPublisher, VerifiedEventPublisher {
  readonly #events: EnvironmentStateChange[] = [];
  readonly #verified: EnvironmentVerified[] = [];
  readonly #listeners = new Set<EnvironmentEventListener>();
  readonly #capacity: number;
  readonly #log: Log | undefined;

  constructor({
    onEvent,
    capacity = RECENT_EVENTS_CAPACITY,
    log,
  }: {
    /** A first listener, for the common case of exactly one. */
    onEvent?: EnvironmentEventListener;
    /** @default 1000 */
    capacity?: number;
    log?: Log;
  } = {}) {
    this.#capacity = capacity;
    this.#log = log;
    if (onEvent !== undefined) this.#listeners.add(onEvent);
  }

  async publish(events: readonly EnvironmentStateChange[]): Promise<void> {
    for (const event of events) {
      this.#events.push(event);
      if (this.#events.length > this.#capacity) this.#events.shift();
      for (const listener of this.#listeners) {
        try {
          await listener(event);
        } catch (error) {
          this.#log?.warn('Environment event listener failed', {
            environmentId: event.environment_id,
            state: event.state,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
  }

  async publishVerified(event: EnvironmentVerified): Promise<void> {
    this.#verified.push(event);
    if (this.#verified.length > this.#capacity) this.#verified.shift();
  }

  /** The most recent "Environment Verified" events, oldest first. */
  recentVerified(): EnvironmentVerified[] {
    return [...this.#verified];
  }

  /** Adds a listener; call the returned function to remove it. */
  subscribe(listener: EnvironmentEventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The most recent events, oldest first. */
  recent(): EnvironmentStateChange[] {
    return [...this.#events];
  }
}
