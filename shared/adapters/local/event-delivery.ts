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
 * Writes the task's state to the ledger at once (the ledger keeps a task's writes in order) and
 * queues `event` (the task's next) behind the previous ones and that write: a restarted stack
 * never counts from below an event it sent, and a slow delivery never leaves what was started
 * unrecorded. Resolves once the ledger write has landed (or failed).
 */
export const queueEvent = <Ref>(
  task: LocalTask<Ref>,
  event: EcsTaskStateChangeEvent,
  { ledger, onEvent, log }: EventSinks,
): Promise<void> => {
  const record = ledgerRecordOf(task);
  const recorded =
    ledger === null || record === null
      ? Promise.resolve()
      : ledger.save(record).catch((error: unknown) =>
          log.warn('Local task ledger write failed', {
            taskArn: task.taskArn,
            error: errorMessage(error),
          }),
        );
  task.delivery = task.delivery.then(() => recorded).then(() => deliver(event, onEvent, log));
  return recorded;
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
