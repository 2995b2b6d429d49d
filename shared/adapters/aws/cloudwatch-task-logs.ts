import {
  type CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { parseTaskRef } from '#domain/task-ref';
import type { LogLine, TaskLogs } from '#ports/container-runtime';

/** GetLogEvents returns at most this many events per call. */
const MAX_EVENTS = 10_000;

/**
 * {@link TaskLogs} from CloudWatch Logs: the awslogs stream of the service's container,
 * `<org>.<name>/<container>/<task id>` (the stream prefix the task definition sets), read
 * backwards from its end. The stream outlives the task for the group's retention, so a failed
 * environment's output is still there.
 */
export class CloudWatchTaskLogs implements TaskLogs {
  readonly #logs: CloudWatchLogsClient;
  readonly #logGroupName: string;

  constructor({ logs, logGroupName }: { logs: CloudWatchLogsClient; logGroupName: string }) {
    this.#logs = logs;
    this.#logGroupName = logGroupName;
  }

  async read(
    task: { readonly environmentId: string; readonly taskArn: string; readonly taskRef?: string },
    service: string,
    tail: number,
  ): Promise<{ lines: LogLine[]; truncated: boolean }> {
    const stream = awslogsStreamName(task.taskRef ?? '', service, task.taskArn);
    if (stream === null) return { lines: [], truncated: false };
    try {
      const response = await this.#logs.send(
        new GetLogEventsCommand({
          logGroupName: this.#logGroupName,
          logStreamName: stream,
          startFromHead: false,
          // One more than asked: whether there was more is then known without a second call.
          limit: Math.min(tail + 1, MAX_EVENTS),
        }),
      );
      const events = response.events ?? [];
      const kept = events.slice(Math.max(0, events.length - tail));
      return {
        lines: kept.map((event) => ({
          time: new Date(event.timestamp ?? 0).toISOString(),
          message: event.message ?? '',
        })),
        truncated: events.length > tail || (tail >= MAX_EVENTS && events.length === MAX_EVENTS),
      };
    } catch (error) {
      // No stream yet: the container never wrote (or never started).
      if (error instanceof ResourceNotFoundException) return { lines: [], truncated: false };
      throw error;
    }
  }
}

/** The awslogs stream of one container of a task; null when the task ref or ARN is not one taskenv writes. */
const awslogsStreamName = (taskRef: string, container: string, taskArn: string): string | null => {
  const ref = taskRef === '' ? null : parseTaskRef(taskRef);
  const taskId = taskArn.split('/').pop() ?? '';
  if (ref?.org === undefined || taskId === '') return null;
  return `${ref.org}.${ref.name}/${container}/${taskId}`;
};
