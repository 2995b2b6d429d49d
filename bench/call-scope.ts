/**
 * Which piece of work a call belongs to: the figures run many requests or events at once and
 * charge every DynamoDB or AWS call to the one whose async context made it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();

/** Runs `work` with every call it makes (however deep, however concurrent) charged to `name`. */
export const inScope = <T>(name: string, work: () => Promise<T>): Promise<T> => scope.run(name, work);

/** The scope of the running code; undefined outside {@link inScope}. */
export const currentScope = (): string | undefined => scope.getStore();
