/**
 * The process runtime after a crash of its stack: a second runtime on the same ledger (what a
 * restarted stack builds) adopts a service the crash caught between its start and its record,
 * ends a process of its stack that no record names, and leaves another stack's processes alone.
 * The first runtime is abandoned, not stopped, as `kill -9` leaves it; the second one reads a
 * copy of its ledger, so the abandoned one's late writes cannot touch what is tested.
 */
import { randomBytes } from 'node:crypto';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsTaskStateChangeEvent, TaskEventListener } from '#adapters/local/ecs-task-events';
import { processStartTime } from '#adapters/local/host-processes';
import { processRefSchema } from '#adapters/local/process-driver';
import { ProcessRuntime } from '#adapters/local/process-runtime';
import { ledgerRecordSchema } from '#adapters/local/task-ledger';
import { goneWithin } from '#test/support/e2e';
import { exampleTask, REPO_ROOT } from '#test/support/example-tasks';
import { runtimeHarness, waitForEvent } from '#test/support/local-runtime';

const harness = runtimeHarness('process-recovery');
/**
 * The runtimes a test abandoned: stopped after it (before the harness removes the temp dir), so
 * whatever still runs ends and their late ledger writes have landed.
 */
const abandoned: ProcessRuntime[] = [];

afterEach(async () => {
  await Promise.all(abandoned.splice(0).map((runtime) => runtime.stopAll()));
});

/** A runtime of stack `stack` whose ledger is `<dir>/<ledger>`. */
const runtimeOf = (stack: string, ledger: string, onEvent: TaskEventListener = async () => undefined) =>
  new ProcessRuntime({
    onEvent,
    cwd: REPO_ROOT,
    logDir: join(harness.dir(), 'logs'),
    ledgerDir: join(harness.dir(), ledger),
    stack,
  });

/** A hello-http task running under an abandoned runtime: its ledger file and service pid. */
const runningThenAbandoned = async (stack: string) => {
  const events: EcsTaskStateChangeEvent[] = [];
  const first = runtimeOf(stack, 'ledger', async (event) => {
    events.push(event);
  });
  abandoned.push(first);
  const { taskArn, environmentId } = await harness.launch(first, exampleTask('hello-http'));
  await waitForEvent(events, 'RUNNING');
  const file = join(harness.dir(), 'ledger', `${environmentId}.json`);
  // The RUNNING record lands before the event is delivered.
  const record = ledgerRecordSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const { pid } = processRefSchema.parse(record.services[0]?.ref);
  return { taskArn, environmentId, file, record, pid };
};

const copyLedger = () =>
  cp(join(harness.dir(), 'ledger'), join(harness.dir(), 'ledger-copy'), { recursive: true });

describe('ProcessRuntime.recover', () => {
  it('adopts a service that started before the ledger got its ref, and keeps it running', async () => {
    // Prepare: the record as the crash left it, written before the start, without a ref.
    const stack = randomBytes(8).toString('hex');
    const { taskArn, environmentId, file, record, pid } = await runningThenAbandoned(stack);
    const startTime = await processStartTime(pid);
    await writeFile(
      file,
      JSON.stringify({
        ...record,
        lastStatus: 'PROVISIONING',
        version: 1,
        startedAt: null,
        services: record.services.map((s) => ({ ...s, ref: null })),
      }),
    );
    await copyLedger();
    const { runtime, events } = harness.start((onEvent) => runtimeOf(stack, 'ledger-copy', onEvent));

    // Act
    const recovered = await runtime.recover();
    const running = await waitForEvent(events, 'RUNNING');
    const found = await runtime.findByEnvironment(environmentId);

    // Assess
    expect(recovered).toEqual({ adopted: 1, ended: 0 });
    expect(running.detail).toMatchObject({ taskArn, version: 2, startedBy: environmentId });
    expect(found?.lastStatus).toBe('RUNNING');
    expect(await processStartTime(pid)).toBe(startTime);
  });

  it('ends a process of its stack that no ledger record names', async () => {
    // Prepare: the service runs, its record is gone (as if the crash came before it was written).
    const stack = randomBytes(8).toString('hex');
    const { file, pid } = await runningThenAbandoned(stack);
    await copyLedger();
    await rm(join(harness.dir(), 'ledger-copy', basename(file)));
    const { runtime } = harness.start((onEvent) => runtimeOf(stack, 'ledger-copy', onEvent));

    // Act
    const recovered = await runtime.recover();

    // Assess
    expect(recovered).toEqual({ adopted: 0, ended: 0 });
    expect(await goneWithin(pid, 5_000)).toBe(true);
    expect(await readdir(join(harness.dir(), 'ledger-copy'))).toEqual([]);
  });

  it("leaves another stack's processes running", async () => {
    // Prepare
    const { file, pid } = await runningThenAbandoned(randomBytes(8).toString('hex'));
    await copyLedger();
    await rm(join(harness.dir(), 'ledger-copy', basename(file)));
    const { runtime } = harness.start(() => runtimeOf(randomBytes(8).toString('hex'), 'ledger-copy'));
    const startTime = await processStartTime(pid);

    // Act
    const recovered = await runtime.recover();

    // Assess
    expect(recovered).toEqual({ adopted: 0, ended: 0 });
    expect(startTime).not.toBeNull();
    expect(await processStartTime(pid)).toBe(startTime);
  });
});
