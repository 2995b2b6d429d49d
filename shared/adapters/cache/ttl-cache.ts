import type { Clock } from '#ports/clock';

/** How long a warm create function trusts what it read (`docs/limits.md`, "Create-path caches"). */
export const CREATE_CACHE_TTL_MS = 5_000;

/** Entries one cache holds at most; the oldest goes first (one warm function sees few orgs and tasks). */
const DEFAULT_MAX_ENTRIES = 1_000;

/**
 * Values kept for `ttlMs` after they were read, per key. A load in flight is shared by every
 * caller of the same key (concurrent creates of one task make one read); a load that fails, or
 * whose value `keep` refuses, is not kept, so the next call reads again.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { readonly value: Promise<V>; readonly expiresAtMs: number }>();
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #keep: (value: V) => boolean;

  constructor(options: {
    readonly ttlMs: number;
    readonly clock: Clock;
    /** @default 1000 */
    readonly maxEntries?: number;
    /** Whether a loaded value may be kept. @default every value */
    readonly keep?: (value: V) => boolean;
  }) {
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#keep = options.keep ?? (() => true);
  }

  /** Drops what is kept under `key` (this function changed it itself). */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const nowMs = this.#clock.now().getTime();
    const entry = this.#entries.get(key);
    if (entry !== undefined && nowMs < entry.expiresAtMs) return entry.value;
    if (entry !== undefined) this.#entries.delete(key);
    const value = load();
    if (this.#ttlMs <= 0) return value;
    const stored = { value, expiresAtMs: nowMs + this.#ttlMs };
    this.#entries.set(key, stored);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    const forget = () => {
      // Only this load's entry: a newer one may have replaced it meanwhile.
      if (this.#entries.get(key) === stored) this.#entries.delete(key);
    };
    value.then((loaded) => {
      if (!this.#keep(loaded)) forget();
    }, forget);
    return value;
  }
}
