import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PoolKeeperTrigger } from '#ports/pool-store';
import { EVENT_SOURCE, PublishFailedError } from './eventbridge-publisher.ts';

/** `detail-type` of the event a rule on the taskenv bus turns into an async invocation of the keeper. */
export const POOL_KEEPER_NUDGE = 'Pool Keeper Nudge';

/**
 * {@link PoolKeeperTrigger} through the taskenv bus: one PutEvents, and the bus's rule invokes
 * the pool keeper asynchronously. A function that already publishes to the bus needs no new
 * client and no `lambda:InvokeFunction` right for it.
 */
export class EventBridgePoolNudge implements PoolKeeperTrigger {
  readonly #eventBridge: EventBridgeClient;
  readonly #busName: string;

  constructor({ eventBridge, busName }: { eventBridge: EventBridgeClient; busName: string }) {
    this.#eventBridge = eventBridge;
    this.#busName = busName;
  }

  async nudge(pool: { readonly org: string; readonly name: string }): Promise<void> {
    const response = await this.#eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.#busName,
            Source: EVENT_SOURCE,
            DetailType: POOL_KEEPER_NUDGE,
            Detail: JSON.stringify({ org: pool.org, pool: pool.name }),
            Resources: [],
          },
        ],
      }),
    );
    if ((response.FailedEntryCount ?? 0) > 0) {
      const entry = response.Entries?.[0];
      throw new PublishFailedError(
        `EventBridge rejected the pool keeper nudge (${entry?.ErrorCode ?? 'unknown'})`,
      );
    }
  }
}
