/**
 * Structured logging as the background use cases (event handling, reconciliation) need it.
 * The Powertools `Logger` satisfies it; tests pass a recorder or nothing. Attributes must never
 * hold a secret: pass ids and states, not records.
 */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** Drops everything; the default when a caller passes no logger. */
export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
