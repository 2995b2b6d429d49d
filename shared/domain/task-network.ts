/**
 * Where a task listens, read from the fields an "ECS Task State Change" event's `detail` and a
 * DescribeTasks `Task` share. Pure and schema-free, so the ECS adapter reads a described task
 * exactly as the event path reads an event, without taking the event schemas into its bundle.
 */
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

/** Attachment types that denote the task's elastic network interface (awsvpc). */
const ENI_ATTACHMENT_TYPES: readonly string[] = ['eni', 'ElasticNetworkInterface'];

/**
 * The network fields of a task, as both shapes carry them. Everything is optional because the
 * SDK types make it so; an event's schema guarantees more, and this reads only what is there.
 */
export interface TaskNetworkSource {
  readonly attachments?:
    | readonly {
        readonly type?: string | undefined;
        readonly details?:
          | readonly { readonly name?: string | undefined; readonly value?: string | undefined }[]
          | undefined;
      }[]
    | undefined;
  readonly containers?:
    | readonly {
        readonly name?: string | undefined;
        readonly networkBindings?:
          | readonly {
              readonly bindIP?: string | undefined;
              readonly containerPort?: number | undefined;
              readonly hostPort?: number | undefined;
            }[]
          | undefined;
        readonly networkInterfaces?:
          | readonly { readonly privateIpv4Address?: string | undefined }[]
          | undefined;
      }[]
    | undefined;
}

/**
 * The network facts of the task: its ENI (from the ENI attachment), its private IP (from the
 * attachment, else from a container's interface) and any host port bindings (local runtimes
 * and bridge mode publish ports this way; a binding without both ports is of no use to a URL).
 */
export const taskNetwork = (task: TaskNetworkSource): TaskNetwork => {
  const containers = task.containers ?? [];
  const eni = (task.attachments ?? []).find(
    (a) => a.type !== undefined && ENI_ATTACHMENT_TYPES.includes(a.type),
  );
  const detailValue = (name: string): string | undefined => eni?.details?.find((d) => d.name === name)?.value;
  const containerIp = containers
    .flatMap((c) => c.networkInterfaces ?? [])
    .find((i) => i.privateIpv4Address !== undefined)?.privateIpv4Address;
  return {
    eniId: detailValue('networkInterfaceId') ?? null,
    privateIp: detailValue('privateIPv4Address') ?? containerIp ?? null,
    bindings: containers.flatMap((c) =>
      (c.networkBindings ?? []).flatMap(({ bindIP, containerPort, hostPort }) =>
        containerPort === undefined || hostPort === undefined
          ? []
          : [{ containerName: c.name ?? '', containerPort, hostPort, bindIp: bindIP ?? '' }],
      ),
    ),
  };
};
