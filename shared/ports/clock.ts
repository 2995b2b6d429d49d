/** Time and identity, injected so tests and the chaos run are deterministic. */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A fresh UUID v4. */
  next(): string;
}

export const systemClock: Clock = { now: () => new Date() };
export const randomIds: IdGenerator = { next: () => crypto.randomUUID() };
