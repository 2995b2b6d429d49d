/**
 * The EventBridge envelope of an ECS "Task State Change" in the bench's account and region, for
 * the figures that send task events to task-events (the cold start's first invocation; the
 * event path and the simulated slow start can build theirs with it too).
 */
import { randomUUID } from 'node:crypto';

export const taskStateChange = <D>(taskArn: string, time: string, detail: D) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '000000000000',
  time,
  region: 'us-east-1',
  resources: [taskArn],
  detail,
});
