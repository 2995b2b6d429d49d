/** EventBridge: PutEvents on the taskenv bus (state changes, verifications, pool keeper nudges). */
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { busConfig } from '#shared/wiring/config';
import type { GrantTarget, GrantVariables } from './target.ts';

/** An event bus as the grants need it. */
export type EventBusRef = Pick<events.IEventBus, 'eventBusArn' | 'eventBusName'>;

export const grantBus = (fn: GrantTarget, bus: EventBusRef): GrantVariables<typeof busConfig> => {
  fn.addToPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }));
  return { EVENT_BUS_NAME: bus.eventBusName };
};
