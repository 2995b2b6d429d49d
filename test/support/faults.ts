/**
 * Fault-injecting decorators of the ports, for the chaos run. They sit between the deployed
 * handlers and the real local adapters (through `startLocalStack({ decorate })`), so every
 * fault reaches the same code paths a failing AWS dependency would, and production code has no
 * chaos branch:
 *
 * - {@link FaultyRuntime}: RunTask refused (`LaunchFailedError`), the launching request dying
 *   before or after RunTask (a non-launch error, the task started or not), StopTask failing;
 *   it also records every task the real runtime started, per environment, to prove that no
 *   environment ever got two;
 * - {@link CrashAfterRecordStore}: the create request dying right after the environment record
 *   and its quota unit were written, before RunTask;
 * - {@link FaultyEventBus}: the EventBridge delivery of "ECS Task State Change" events,
 *   duplicating, delaying past later events (reordering) and dropping them.
 *
 * Every draw comes from one seeded {@link Dice}; the seed fixes the draws, not the interleaving
 * of concurrent requests, so a failing run is reproduced in distribution rather than exactly.
 */
import type { TaskEventListener } from '#adapters/local/process-runtime';
import type { EnvironmentRecord } from '#domain/environment';
import type { TaskVersionRecord } from '#domain/task-version';
import type { LocalStackDecorators } from '#local/stack';
import {
  type ContainerRuntime,
  LaunchFailedError,
  type LaunchRequest,
  type RuntimeTask,
} from '#ports/container-runtime';
import type {
  EnvironmentPage,
  EnvironmentPatch,
  EnvironmentQuery,
  EnvironmentStore,
  EventVersionOutcome,
  EventVersionWrite,
  StateChange,
  TransitionOptions,
} from '#ports/environment-store';

/** A seeded PRNG (mulberry32): small, fast and good enough to draw fault decisions. */
export class Dice {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/**
 * What an injected crash throws: not a `TaskenvError` and not a `LaunchFailedError`, so the
 * code under test treats it as any unexpected failure of a dependency or of the process.
 */
export class InjectedCrashError extends Error {
  constructor(where: string) {
    super(`Injected crash: ${where}`);
    this.name = 'InjectedCrashError';
  }
}

export interface RuntimeFaultRates {
  /** Share of launches the platform refuses (`LaunchFailedError`, a 502 on create). */
  readonly launchFailure: number;
  /** Share of launches whose caller dies; half before RunTask, half after the task started. */
  readonly launchCrash: number;
  /** Share of stops that fail (the task keeps running). */
  readonly stopFailure: number;
}

/** {@link ContainerRuntime} decorator that injects launch and stop faults and counts launches. */
export class FaultyRuntime implements ContainerRuntime {
  readonly injected = { launchFailures: 0, crashesBeforeLaunch: 0, crashesAfterLaunch: 0, stopFailures: 0 };
  /** Launch calls, faulted or not. */
  launchCalls = 0;
  readonly #inner: ContainerRuntime;
  readonly #rates: RuntimeFaultRates;
  readonly #dice: Dice;
  /** Every task ARN the real runtime answered a launch with, per environment id. */
  readonly #tasks = new Map<string, Set<string>>();

  constructor(inner: ContainerRuntime, rates: RuntimeFaultRates, dice: Dice) {
    this.#inner = inner;
    this.#rates = rates;
    this.#dice = dice;
  }

  register(
    task: Omit<TaskVersionRecord, 'taskDefinitionArn'>,
  ): Promise<{ taskDefinitionArn: string | null }> {
    return this.#inner.register(task);
  }

  async launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    this.launchCalls += 1;
    if (this.#dice.chance(this.#rates.launchFailure)) {
      this.injected.launchFailures += 1;
      throw new LaunchFailedError('injected: no Fargate capacity');
    }
    const crash = this.#dice.chance(this.#rates.launchCrash)
      ? this.#dice.chance(0.5)
        ? 'before'
        : 'after'
      : null;
    if (crash === 'before') {
      this.injected.crashesBeforeLaunch += 1;
      throw new InjectedCrashError('before RunTask');
    }
    const launched = await this.#inner.launch(request);
    const arns = this.#tasks.get(request.environmentId) ?? new Set<string>();
    arns.add(launched.taskArn);
    this.#tasks.set(request.environmentId, arns);
    if (crash === 'after') {
      this.injected.crashesAfterLaunch += 1;
      throw new InjectedCrashError('after RunTask started the task, before its answer arrived');
    }
    return launched;
  }

  async stop(taskArn: string, reason: string): Promise<void> {
    if (this.#dice.chance(this.#rates.stopFailure)) {
      this.injected.stopFailures += 1;
      throw new InjectedCrashError('StopTask');
    }
    await this.#inner.stop(taskArn, reason);
  }

  describe(taskArns: readonly string[]): Promise<RuntimeTask[]> {
    return this.#inner.describe(taskArns);
  }

  findByEnvironment(environmentId: string): Promise<RuntimeTask | null> {
    return this.#inner.findByEnvironment(environmentId);
  }

  listRunning(): Promise<RuntimeTask[]> {
    return this.#inner.listRunning();
  }

  /** Environments the real runtime started more than one task for, with those tasks. */
  doubleLaunches(): { environmentId: string; taskArns: string[] }[] {
    return [...this.#tasks.entries()]
      .filter(([, arns]) => arns.size > 1)
      .map(([environmentId, arns]) => ({ environmentId, taskArns: [...arns] }));
  }

  /** Every task the real runtime started, by the `startedBy` it was launched with. */
  tasksByStartedBy(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#tasks;
  }

  /** Environments the real runtime started a task for. */
  launchedEnvironments(): number {
    return this.#tasks.size;
  }
}

/**
 * {@link EnvironmentStore} decorator: `create` writes the record and its quota unit, then, at
 * `rate`, throws as if the request died there (before RunTask). Nothing else is touched.
 */
export class CrashAfterRecordStore implements EnvironmentStore {
  /** Ids of the environments recorded by a create that then crashed. */
  readonly crashed = new Set<string>();
  readonly #inner: EnvironmentStore;
  readonly #rate: number;
  readonly #dice: Dice;

  constructor(inner: EnvironmentStore, rate: number, dice: Dice) {
    this.#inner = inner;
    this.#rate = rate;
    this.#dice = dice;
  }

  async create(record: EnvironmentRecord, quota: { readonly limit: number }): Promise<void> {
    await this.#inner.create(record, quota);
    if (this.#dice.chance(this.#rate)) {
      this.crashed.add(record.id);
      throw new InjectedCrashError('after the environment was recorded, before RunTask');
    }
  }

  get(id: string): Promise<EnvironmentRecord | null> {
    return this.#inner.get(id);
  }

  list(query: EnvironmentQuery): Promise<EnvironmentPage> {
    return this.#inner.list(query);
  }

  transition(
    id: string,
    change: StateChange,
    options?: TransitionOptions,
  ): Promise<EnvironmentRecord | null> {
    return this.#inner.transition(id, change, options);
  }

  update(
    id: string,
    set: EnvironmentPatch,
    options?: { readonly eventVersion?: number },
  ): Promise<EnvironmentRecord | null> {
    return this.#inner.update(id, set, options);
  }

  recordEvent(id: string, event: EventVersionWrite): Promise<EventVersionOutcome> {
    return this.#inner.recordEvent(id, event);
  }

  listLive(): Promise<EnvironmentRecord[]> {
    return this.#inner.listLive();
  }
}

export interface EventFaultRates {
  /** Share of events delivered twice (the copy after a random delay). */
  readonly duplicate: number;
  /** Share of events held back for a random delay, so later events of the task overtake them. */
  readonly delay: number;
  /** Share of events never delivered. */
  readonly drop: number;
  /** Upper bound of a delay. */
  readonly maxDelayMs: number;
}

/**
 * The event path between the runtime and the task-events handler, with EventBridge's
 * at-least-once, unordered delivery made worse: duplicates, reordering and loss.
 */
export class FaultyEventBus {
  readonly counts = { received: 0, delivered: 0, duplicated: 0, delayed: 0, dropped: 0, failed: 0 };
  /** Messages of failed deliveries (a handler error is a bug: every event must be absorbable). */
  readonly failures: string[] = [];
  readonly #rates: EventFaultRates;
  readonly #dice: Dice;
  readonly #pending = new Set<Promise<void>>();

  constructor(rates: EventFaultRates, dice: Dice) {
    this.#rates = rates;
    this.#dice = dice;
  }

  /** Decorates the delivery into the handler (`LocalStackDecorators.taskEvents`). */
  wrap(deliver: TaskEventListener): TaskEventListener {
    const attempt: TaskEventListener = async (event) => {
      try {
        await deliver(event);
        this.counts.delivered += 1;
      } catch (error) {
        this.counts.failed += 1;
        this.failures.push(`${event.detail.lastStatus} v${event.detail.version}: ${String(error)}`);
        throw error;
      }
    };
    const later = (event: Parameters<TaskEventListener>[0]) => {
      const delivery = new Promise<void>((resolve) => {
        setTimeout(
          () => {
            // A late delivery has no caller to fail; `failures` keeps what went wrong.
            attempt(event).then(resolve, () => resolve());
          },
          this.#dice.int(1, this.#rates.maxDelayMs),
        );
      });
      this.#pending.add(delivery);
      void delivery.then(() => this.#pending.delete(delivery));
    };
    return async (event) => {
      this.counts.received += 1;
      const roll = this.#dice.next();
      const { drop, duplicate, delay } = this.#rates;
      if (roll < drop) {
        this.counts.dropped += 1;
        return;
      }
      if (roll < drop + duplicate) {
        this.counts.duplicated += 1;
        later(event);
        await attempt(event);
        return;
      }
      if (roll < drop + duplicate + delay) {
        this.counts.delayed += 1;
        later(event);
        return;
      }
      await attempt(event);
    };
  }

  /** Resolves once every held-back delivery has been made. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
  }
}

export interface FaultRates {
  readonly runtime: RuntimeFaultRates;
  /** Share of creates that die between the record and RunTask. */
  readonly crashAfterRecord: number;
  readonly events: EventFaultRates;
}

/** The rates of issue 7: 10 % refused launches, 5 % crashes, 20 % duplicated, 20 % reordered, 5 % dropped. */
export const chaosRates: FaultRates = {
  runtime: { launchFailure: 0.1, launchCrash: 0.05, stopFailure: 0.1 },
  crashAfterRecord: 0.05,
  events: { duplicate: 0.2, delay: 0.2, drop: 0.05, maxDelayMs: 400 },
};

/**
 * The faults of one chaos run, wired into the local stack by {@link Faults.decorators}; the
 * decorated runtime and store are available once the stack has started.
 */
export class Faults {
  readonly dice: Dice;
  readonly bus: FaultyEventBus;
  readonly decorators: LocalStackDecorators;
  #runtime: FaultyRuntime | null = null;
  #store: CrashAfterRecordStore | null = null;

  constructor(rates: FaultRates, seed: number) {
    this.dice = new Dice(seed);
    this.bus = new FaultyEventBus(rates.events, this.dice);
    this.decorators = {
      adapters: (adapters) => {
        this.#runtime = new FaultyRuntime(adapters.runtime, rates.runtime, this.dice);
        this.#store = new CrashAfterRecordStore(adapters.store, rates.crashAfterRecord, this.dice);
        return { ...adapters, runtime: this.#runtime, store: this.#store };
      },
      taskEvents: (deliver) => this.bus.wrap(deliver),
    };
  }

  get runtime(): FaultyRuntime {
    if (this.#runtime === null) throw new Error('The stack has not been started with these faults');
    return this.#runtime;
  }

  get store(): CrashAfterRecordStore {
    if (this.#store === null) throw new Error('The stack has not been started with these faults');
    return this.#store;
  }
}
