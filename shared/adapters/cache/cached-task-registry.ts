import type { TaskCandidate } from '#domain/task-resolution';
import type { TaskVersionRecord } from '#domain/task-version';
import type { Clock } from '#ports/clock';
import type { TaskRegistry } from '#ports/task-registry';
import { TtlCache } from './ttl-cache.ts';

/**
 * A {@link TaskRegistry} that keeps what resolution reads (`candidates`, `get`) for `ttlMs`, for
 * the create path of a warm function: a create of a task resolved a moment ago makes no read.
 *
 * Staleness, bounded by `ttlMs`: a version published meanwhile may not be the one `@latest` (or a
 * range) resolves to until `ttlMs` after this function last read the candidates. An empty answer
 * (no such task, no such version) is never kept, so a task published after a 404 resolves at
 * once. Versions are immutable, so a kept version is never wrong, only possibly not the latest.
 * Writes and listings go straight through.
 */
export class CachedTaskRegistry implements TaskRegistry {
  readonly #inner: TaskRegistry;
  readonly #candidates: TtlCache<TaskCandidate[]>;
  readonly #versions: TtlCache<TaskVersionRecord | null>;

  constructor(inner: TaskRegistry, options: { readonly ttlMs: number; readonly clock: Clock }) {
    this.#inner = inner;
    this.#candidates = new TtlCache({ ...options, keep: (found) => found.length > 0 });
    this.#versions = new TtlCache({ ...options, keep: (found) => found !== null });
  }

  publish(record: TaskVersionRecord): Promise<void> {
    return this.#inner.publish(record);
  }

  get(org: string, name: string, version: string): Promise<TaskVersionRecord | null> {
    return this.#versions.get(JSON.stringify([org, name, version]), () =>
      this.#inner.get(org, name, version),
    );
  }

  candidates(name: string, callerOrg: string, ownerOrg?: string): Promise<TaskCandidate[]> {
    return this.#candidates.get(JSON.stringify([name, callerOrg, ownerOrg ?? null]), () =>
      this.#inner.candidates(name, callerOrg, ownerOrg),
    );
  }

  listVisible(org: string): Promise<TaskVersionRecord[]> {
    return this.#inner.listVisible(org);
  }
}
