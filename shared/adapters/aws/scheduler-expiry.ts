import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { EXPIRED_STOP_REASON, type ExpiryScheduler } from '#ports/expiry-scheduler';

/** The universal target that calls ECS StopTask directly: no Lambda in the expiry path. */
const STOP_TASK_TARGET_ARN = 'arn:aws:scheduler:::aws-sdk:ecs:stopTask';

const scheduleNameOf = (environmentId: string): string => `taskenv-${environmentId}`;

/**
 * `at(YYYY-MM-DDThh:mm:ss)` in UTC. Scheduler takes whole seconds; rounding up means the task
 * is never stopped before the `expires_at` the client was told.
 */
const atExpression = (at: Date): string => {
  const seconds = Math.ceil(at.getTime() / 1000);
  return `at(${new Date(seconds * 1000).toISOString().slice(0, 19)})`;
};

/**
 * {@link ExpiryScheduler} on EventBridge Scheduler: one one-time schedule per environment that
 * calls ECS StopTask with {@link EXPIRED_STOP_REASON} and deletes itself after firing.
 */
export class SchedulerExpiry implements ExpiryScheduler {
  readonly #scheduler: SchedulerClient;
  readonly #groupName: string;
  readonly #roleArn: string;
  readonly #clusterArn: string;

  constructor({
    scheduler,
    groupName,
    roleArn,
    clusterArn,
  }: {
    scheduler: SchedulerClient;
    groupName: string;
    /** Assumed by Scheduler to call StopTask on the cluster. */
    roleArn: string;
    clusterArn: string;
  }) {
    this.#scheduler = scheduler;
    this.#groupName = groupName;
    this.#roleArn = roleArn;
    this.#clusterArn = clusterArn;
  }

  async schedule(environmentId: string, taskArn: string, at: Date): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: scheduleNameOf(environmentId),
      GroupName: this.#groupName,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: STOP_TASK_TARGET_ARN,
        RoleArn: this.#roleArn,
        Input: JSON.stringify({ Cluster: this.#clusterArn, Task: taskArn, Reason: EXPIRED_STOP_REASON }),
        RetryPolicy: { MaximumRetryAttempts: 3 },
      },
    };
    try {
      await this.#scheduler.send(new CreateScheduleCommand(input));
    } catch (e) {
      // Keepalive (or a retried create) finds the schedule already there: move it instead.
      if (e instanceof ConflictException) {
        await this.#scheduler.send(new UpdateScheduleCommand(input));
        return;
      }
      throw e;
    }
  }

  async cancel(environmentId: string): Promise<void> {
    try {
      await this.#scheduler.send(
        new DeleteScheduleCommand({ Name: scheduleNameOf(environmentId), GroupName: this.#groupName }),
      );
    } catch (e) {
      // Already fired (and deleted itself) or never created.
      if (e instanceof ResourceNotFoundException) {
        return;
      }
      throw e;
    }
  }
}
