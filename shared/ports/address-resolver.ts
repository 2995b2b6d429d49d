/** Network facts of a running task, as an ECS event or DescribeTasks carries them. */
export interface TaskNetwork {
  readonly eniId: string | null;
  readonly privateIp: string | null;
  /** Host port bindings (local runtimes, bridge mode); empty on Fargate awsvpc. */
  readonly bindings: readonly {
    readonly containerName: string;
    readonly containerPort: number;
    readonly hostPort: number;
    readonly bindIp: string;
  }[];
}

/** Finds the host clients reach the task at: public IP of the ENI, its private IP, or loopback. */
export interface AddressResolver {
  /** @returns the host, or null when it is not known yet (e.g. no public IP associated). */
  hostFor(network: TaskNetwork): Promise<string | null>;
}
