/**
 * In-memory ports for the lifecycle use cases where DynamoDB is not the point. The store keeps
 * the contract of `EnvironmentStore` that those use cases rely on: state-machine and
 * event-version conditions, and the org counter released once on entering a final state.
 */
import type { EnvironmentRecord, EnvironmentState } from '#domain/environment';
import { AlreadyExistsError, QuotaExceededError } from '#domain/errors';
import type { LifecycleCheck } from '#domain/lifecycle-check';
import type { Clock } from '#ports/clock';
import type { EnvFileStore } from '#ports/env-file-store';
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
import type { EnvironmentStateChange, EventPublisher } from '#ports/event-publisher';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import type { Log } from '#ports/log';

/**
 * The legal moves, written out here rather than read from `#domain/environment`: the fake is an
 * oracle the domain's state machine is checked against (`environment-store-contract.test.ts`),
 * so it must not share the code it checks.
 */
const LEGAL_MOVES: Readonly<Record<EnvironmentState, readonly EnvironmentState[]>> = {
  building: ['provisioning', 'ready', 'torn_down', 'failed'],
  provisioning: ['ready', 'torn_down', 'failed'],
  ready: ['paused', 'torn_down', 'failed'],
  paused: ['ready', 'torn_down', 'failed'],
  torn_down: [],
  failed: [],
};

const isFinal = (state: EnvironmentState): boolean => state === 'torn_down' || state === 'failed';

export const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });

export class InMemoryEnvironmentStore implements EnvironmentStore {
  readonly records = new Map<string, EnvironmentRecord>();
  readonly runningCount = new Map<string, number>();
  /** How many writes went through. */
  writes = 0;
  /** The `expected` record of each `transition` call, in order (undefined when none was given). */
  readonly transitionExpected: (EnvironmentRecord | undefined)[] = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async create(record: EnvironmentRecord, quota: { readonly limit: number }): Promise<void> {
    if (this.records.has(record.id))
      throw new AlreadyExistsError(`Environment '${record.id}' already exists`);
    const count = this.runningCount.get(record.org) ?? 0;
    if (count >= quota.limit) throw new QuotaExceededError(record.org, quota.limit);
    this.records.set(record.id, record);
    this.runningCount.set(record.org, count + 1);
  }

  async get(id: string): Promise<EnvironmentRecord | null> {
    return this.records.get(id) ?? null;
  }

  async list(query: EnvironmentQuery): Promise<EnvironmentPage> {
    const items = [...this.records.values()]
      .filter((r) => r.org === query.org && r.workspace === query.workspace)
      .filter((r) => query.states === undefined || query.states.includes(r.state))
      .filter((r) => query.projectId === undefined || r.projectId === query.projectId)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    const start = (query.page - 1) * query.limit;
    return { items: items.slice(start, start + query.limit), total: items.length };
  }

  /** Decides on the stored record, as the real store does; `expected` may only name the same environment. */
  async transition(
    id: string,
    change: StateChange,
    options: TransitionOptions = {},
  ): Promise<EnvironmentRecord | null> {
    if (options.expected !== undefined && options.expected.id !== id) {
      throw new Error(`Expected record of '${options.expected.id}' given for environment '${id}'`);
    }
    this.transitionExpected.push(options.expected);
    const current = this.records.get(id);
    if (current === undefined || !LEGAL_MOVES[current.state].includes(change.to)) return null;
    if (
      change.eventVersion !== undefined &&
      (change.orSameVersion === true
        ? current.eventVersion > change.eventVersion
        : current.eventVersion >= change.eventVersion)
    ) {
      return null;
    }
    const next: EnvironmentRecord = {
      ...this.#patched(current, change.set ?? {}),
      state: change.to,
      previousState: current.state,
      ...(change.eventVersion === undefined ? {} : { eventVersion: change.eventVersion }),
    };
    this.records.set(id, next);
    if (isFinal(change.to)) this.runningCount.set(current.org, (this.runningCount.get(current.org) ?? 1) - 1);
    this.writes++;
    return next;
  }

  async update(
    id: string,
    set: EnvironmentPatch,
    options: { readonly eventVersion?: number } = {},
  ): Promise<EnvironmentRecord | null> {
    const current = this.records.get(id);
    if (current === undefined || isFinal(current.state)) return null;
    if (options.eventVersion !== undefined && current.eventVersion >= options.eventVersion) return null;
    const next: EnvironmentRecord = {
      ...this.#patched(current, set),
      ...(options.eventVersion === undefined ? {} : { eventVersion: options.eventVersion }),
    };
    this.records.set(id, next);
    this.writes++;
    return next;
  }

  /** As the real store: the version only, under every condition of the write, no read. */
  async recordEvent(id: string, event: EventVersionWrite): Promise<EventVersionOutcome> {
    const current = this.records.get(id);
    const applies =
      current !== undefined &&
      current.taskArn === event.taskArn &&
      event.states.includes(current.state) &&
      current.eventVersion < event.eventVersion &&
      (event.readinessUnlessReady !== true || current.state === 'ready' || current.readiness !== null);
    if (!applies) return { written: false, current: current ?? null };
    const next: EnvironmentRecord = { ...this.#patched(current, {}), eventVersion: event.eventVersion };
    this.records.set(id, next);
    this.writes++;
    return { written: true, record: next };
  }

  async listLive(): Promise<EnvironmentRecord[]> {
    return [...this.records.values()].filter((r) => !isFinal(r.state));
  }

  #patched(record: EnvironmentRecord, set: EnvironmentPatch): EnvironmentRecord {
    return { ...record, ...set, updatedAt: this.#clock.now().toISOString() };
  }
}

/** Keeps what was published; `failNext` makes the next publish throw, as a failed PutEvents does. */
export class RecordingPublisher implements EventPublisher {
  readonly events: EnvironmentStateChange[] = [];
  failNext = false;

  async publish(events: readonly EnvironmentStateChange[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EventBridge rejected 1 of 1 events (InternalFailure)');
    }
    this.events.push(...events);
  }
}

/** Keeps every check sent to the lifecycle queue, with its delay, in order. */
export class RecordingQueue implements LifecycleQueue {
  readonly sent: { check: LifecycleCheck; delaySec: number }[] = [];

  async send(check: LifecycleCheck, delaySec: number): Promise<void> {
    this.sent.push({ check, delaySec });
  }
}

export class InMemoryEnvFiles implements EnvFileStore {
  readonly files = new Map<string, Readonly<Record<string, string>>>();
  readonly deleted: string[] = [];

  async put(environmentId: string, variables: Readonly<Record<string, string>>): Promise<string> {
    this.files.set(environmentId, variables);
    return this.refFor(environmentId);
  }

  refFor(environmentId: string): string {
    return `memory://env/${environmentId}.env`;
  }

  async delete(environmentId: string): Promise<void> {
    this.files.delete(environmentId);
    this.deleted.push(environmentId);
  }
}

/** A {@link Log} that keeps every line, so tests can check that an action was logged. */
export class RecordingLog implements Log {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];

  debug(message: string, ...attributes: Record<string, unknown>[]): void {
    this.#add('debug', message, attributes);
  }
  info(message: string, ...attributes: Record<string, unknown>[]): void {
    this.#add('info', message, attributes);
  }
  warn(message: string, ...attributes: Record<string, unknown>[]): void {
    this.#add('warn', message, attributes);
  }
  error(message: string, ...attributes: Record<string, unknown>[]): void {
    this.#add('error', message, attributes);
  }

  #add(level: string, message: string, attributes: Record<string, unknown>[]): void {
    this.lines.push({ level, message, attributes: Object.assign({}, ...attributes) });
  }
}
