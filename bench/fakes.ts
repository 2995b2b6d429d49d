/**
 * Ports faked at zero cost, so the benchmarks time taskenv and DynamoDB and nothing else: no
 * process, file or network work. Each counts its calls, which the event-path figure reports.
 */

import type { AddressResolver, TaskNetwork } from '#ports/address-resolver';
import type { ContainerRuntime, LaunchRequest, RuntimeTask } from '#ports/container-runtime';
import type { EnvFileStore } from '#ports/env-file-store';
import type { EnvironmentStateChange, EventPublisher } from '#ports/event-publisher';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import type { SecretValueStore } from '#ports/secret-store';

/** Launches answer an ARN at once; nothing runs. */
export class InstantRuntime implements ContainerRuntime {
  launches = 0;

  /** An ARN, so the tasks it registers can also be launched by the ECS adapter (on a mocked client). */
  async register(): Promise<{ taskDefinitionArn: string | null }> {
    return { taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/taskenv-bench:1' };
  }

  async launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    this.launches++;
    return { taskArn: taskArnFor(request.environmentId) };
  }

  async stop(): Promise<void> {}

  async describe(): Promise<RuntimeTask[]> {
    return [];
  }

  async findByEnvironment(): Promise<RuntimeTask | null> {
    return null;
  }

  async listRunning(): Promise<RuntimeTask[]> {
    return [];
  }
}

/** The ARN {@link InstantRuntime} gives an environment's task. */
export const taskArnFor = (environmentId: string): string =>
  `arn:aws:ecs:us-east-1:000000000000:task/taskenv-bench/${environmentId.replaceAll('-', '')}`;

export class NullEnvFiles implements EnvFileStore {
  puts = 0;
  deletes = 0;

  async put(environmentId: string): Promise<string> {
    this.puts++;
    return this.refFor(environmentId);
  }

  refFor(environmentId: string): string {
    return `memory://env/${environmentId}.env`;
  }

  async delete(): Promise<void> {
    this.deletes++;
  }
}

export class NullExpiry implements ExpiryScheduler {
  async schedule(): Promise<void> {}
  async cancel(): Promise<void> {}
}

/** Stands in for SQS SendMessage; the bench's launches and tasks never need a check. */
export class NullQueue implements LifecycleQueue {
  async send(): Promise<void> {}
}

/** Stands in for EventBridge PutEvents: one call per `publish`. */
export class CountingPublisher implements EventPublisher {
  calls = 0;
  events = 0;

  async publish(events: readonly EnvironmentStateChange[]): Promise<void> {
    this.calls++;
    this.events += events.length;
  }
}

export class NullSecretValues implements SecretValueStore {
  async put(org: string, workspace: string, id: string): Promise<string> {
    return `memory://secrets/${org}/${workspace}/${id}`;
  }

  async get(): Promise<string> {
    return '';
  }

  async delete(): Promise<void> {}
}

/** Counts lookups (the EC2 DescribeNetworkInterfaces call on AWS) around another resolver. */
export class CountingAddressResolver implements AddressResolver {
  calls = 0;
  readonly #inner: AddressResolver;

  constructor(inner: AddressResolver) {
    this.#inner = inner;
  }

  async hostFor(network: TaskNetwork): Promise<string | null> {
    this.calls++;
    return this.#inner.hostFor(network);
  }
}
