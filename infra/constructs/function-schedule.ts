import { type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { acknowledgeWildcard } from './nag.ts';

export interface FunctionScheduleProps {
  /** The function the schedule invokes. */
  readonly target: lambda.IFunction;
  /** What the function is, in the descriptions (`reconciler`, `pool keeper`). */
  readonly label: string;
  readonly every: Duration;
  /** Construct ids of the role and the schedule, in `scope` (kept stable: they name the resources). */
  readonly ids: { readonly role: string; readonly schedule: string };
}

/**
 * A rate schedule in the default group that invokes `target` with a role of its own, assumed
 * only by Scheduler for this account's default group. In the default group, not the expiry
 * group: the functions may delete schedules of the expiry group, and these must stay out of
 * their reach. No retry: the next run is the retry, so a failed run is not repeated on top of it.
 */
export const scheduleFunction = (
  scope: Construct,
  props: FunctionScheduleProps,
): { readonly role: iam.Role; readonly schedule: scheduler.Schedule } => {
  const role = new iam.Role(scope, props.ids.role, {
    description: `taskenv ${props.label} schedule: invoke the ${props.label}`,
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
        ArnEquals: {
          'aws:SourceArn': scheduler.ScheduleGroup.fromDefaultScheduleGroup(scope, 'DefaultGroup')
            .scheduleGroupArn,
        },
      },
    }),
  });
  const schedule = new scheduler.Schedule(scope, props.ids.schedule, {
    description: `taskenv: run the ${props.label}`,
    schedule: scheduler.ScheduleExpression.rate(props.every),
    target: new schedulerTargets.LambdaInvoke(props.target, { role, retryAttempts: 0 }),
  });
  acknowledgeWildcard(
    role,
    `${props.target.functionArn}:*`,
    `The ${props.label} function and its versions (the LambdaInvoke target grants both).`,
  );
  return { role, schedule };
};
