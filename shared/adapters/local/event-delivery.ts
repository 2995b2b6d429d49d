/**
 * The delivery of a local task's events: in order, each behind the ledger write of the state it
 * reports, and a failing listener never stops the task or the events after it.
 */
import type { Log } from '#ports/log';
import type { EcsTaskStateChangeEvent, TaskEventListener } from './ecs-task-events.ts';
import { type LocalTask, ledgerRecordOf } from './local-task.ts';
import { errorMessage } from './runtime-driver.ts';
import type { TaskLedger } from './task-ledger.ts';

export interface EventSinks {
  readonly ledger: TaskLedger | null;
  readonly onEvent: TaskEventListener;
  readonly log: Log;
}

/**
 * Queues `event` (the task's next) behind the previous ones: first the ledger
 * update and then the delivery: a restarted stack never counts from below an event it sent.
 */
export const queueEvent = <Ref>(
  task: LocalTask<Ref>,
  event: EcsTaskStateChangeEvent,
  { ledger, onEvent, log }: EventSinks,
): void => {
  const record = ledgerRecordOf(task);
  task.delivery = task.delivery
    .then(async () => {
      if (ledger !== null && record !== null) {
        await ledger.save(record).catch((error: unknown) =>
          log.warn('Local task ledger write failed', {
            taskArn: task.taskArn,
            error: errorMessage(error),
          }),
        );
      }
    })
    .then(() => deliver(event, onEvent, log));
};

const deliver = async (
  event: EcsTaskStateChangeEvent,
  onEvent: TaskEventListener,
  log: Log,
): Promise<void> => {
  try {
    await onEvent(event);
  } catch (error) {
    // The bus is not the task: a handler failure must neither stop it nor block later events
    // (the reconciler repairs what a lost event leaves behind).
    log.error('Local task event delivery failed', {
      taskArn: event.detail.taskArn,
      version: event.detail.version,
      lastStatus: event.detail.lastStatus,
      error: errorMessage(error),
    });
  }
};
