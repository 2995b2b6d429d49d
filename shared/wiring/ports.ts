/**
 * The ports a function's handler may be built from, under one name each. A declaration
 * (`shared/wiring/functions.ts`) says which of them each handler dependency is; the Lambda entry
 * supplies them from AWS adapters, the local stack from its own, and both hand the handler the
 * same shape.
 */
import type { AddressResolver } from '#ports/address-resolver';
import type { CommandRunner, TaskLogs } from '#ports/container-runtime';
import type { VerifiedEventPublisher } from '#ports/event-publisher';
import type { ExecutionDispatcher, ExecutionStore } from '#ports/execution-store';
import type { PoolKeeperTrigger, PoolStore } from '#ports/pool-store';
import type { CreateEnvironmentDeps } from '#use-cases/create-environment';

type Create = CreateEnvironmentDeps;

/** Every port, by the name declarations refer to it. */
export interface PortBag {
  readonly store: Create['store'];
  readonly tasks: Create['tasks'];
  readonly access: Create['access'];
  readonly secretMetadata: Create['secretMetadata'];
  readonly secretValues: Create['secretValues'];
  readonly envFiles: Create['envFiles'];
  readonly runtime: Create['runtime'];
  readonly expiry: Create['expiry'];
  readonly publisher: Create['publisher'];
  readonly checks: Create['checks'];
  readonly clock: Create['clock'];
  readonly ids: Create['ids'];
  readonly executeTokens: Create['executeTokens'];
  readonly addresses: AddressResolver;
  readonly poolStore: PoolStore;
  /** Runs the pool keeper soon (after a claim, a PUT of a pool). */
  readonly poolKeeper: PoolKeeperTrigger;
  readonly executions: ExecutionStore;
  readonly dispatcher: ExecutionDispatcher;
  readonly logs: TaskLogs;
  readonly verifiedEvents: VerifiedEventPublisher;
  /** Runs a command in a task (the exec-worker's ECS Exec). */
  readonly runner: CommandRunner;
}

export type PortName = keyof PortBag;

/**
 * Which port each handler dependency is: `{ pools: 'poolStore' }`, or one level of grouping
 * (`{ pools: { store: 'poolStore', keeper: 'poolKeeper' } }`).
 */
export type PortMap = {
  readonly [dependency: string]: PortName | { readonly [dependency: string]: PortName };
};

/** The dependencies a port map stands for. */
export type PortsOf<M extends PortMap> = {
  readonly [K in keyof M]: M[K] extends PortName
    ? PortBag[M[K]]
    : { readonly [J in keyof M[K]]: M[K][J] extends PortName ? PortBag[M[K][J]] : never };
};

/** Picks the dependencies of `map` out of `bag`. */
export const resolvePorts = <M extends PortMap>(map: M, bag: PortBag): PortsOf<M> =>
  Object.fromEntries(
    Object.entries(map).map(([dependency, port]) => [
      dependency,
      typeof port === 'string'
        ? bag[port]
        : Object.fromEntries(Object.entries(port).map(([inner, name]) => [inner, bag[name]])),
    ]),
  ) as PortsOf<M>;
