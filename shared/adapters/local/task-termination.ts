/** The end of a local task's services: the polite stop, the kill after the stop timeout, the release. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '#ports/log';
import type { LocalTask } from './local-task.ts';
import { errorMessage, type RuntimeDriver } from './runtime-driver.ts';

/**
 * The polite stop to every service, the kill to what is left after the stop timeout. The kill
 * goes to every service, also those already ended: a crashed command may have left children.
 */
export const terminate = async <Ref>(
  driver: RuntimeDriver<Ref>,
  task: LocalTask<Ref>,
  stopTimeoutMs: number,
  log: Log,
): Promise<void> => {
  await task.starting;
  const refs = task.services.flatMap((s) => (s.ref === null ? [] : [s.ref]));
  const ended = Promise.all(task.services.map((s) => s.ended));
  await Promise.all(refs.map((ref) => signal(driver, task, log, ref, 'stop')));
  const timeout = new AbortController();
  await Promise.race([
    ended,
    sleep(stopTimeoutMs, undefined, { ref: false, signal: timeout.signal }).catch(() => undefined),
  ]);
  timeout.abort();
  await Promise.all(refs.map((ref) => signal(driver, task, log, ref, 'kill')));
  await ended;
};

const signal = async <Ref>(
  driver: RuntimeDriver<Ref>,
  task: LocalTask<Ref>,
  log: Log,
  ref: Ref,
  how: 'stop' | 'kill',
): Promise<void> => {
  try {
    await driver.signal(ref, how);
  } catch (error) {
    log.warn('Local task could not be signalled', {
      taskArn: task.taskArn,
      signal: how,
      error: errorMessage(error),
    });
  }
};

/** Frees what the stopped task's services still hold; their logs are read from what the driver kept. */
export const release = async <Ref>(
  driver: RuntimeDriver<Ref>,
  task: LocalTask<Ref>,
  log: Log,
): Promise<void> => {
  const services = task.services.flatMap((s) => (s.ref === null ? [] : [{ name: s.plan.name, ref: s.ref }]));
  try {
    await driver.release(task.environmentId, services);
  } catch (error) {
    log.warn('Local task could not be released', {
      taskArn: task.taskArn,
      error: errorMessage(error),
    });
  }
  task.released = true;
};
