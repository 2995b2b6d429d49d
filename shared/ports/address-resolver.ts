import type { TaskNetwork } from '#domain/task-network';

export type { TaskNetwork };

/** Finds the host clients reach the task at: public IP of the ENI, its private IP, or loopback. */
export interface AddressResolver {
  /** @returns the host, or null when it is not known yet (e.g. no public IP associated). */
  hostFor(network: TaskNetwork): Promise<string | null>;
}
