import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { POOL_KEEPER_NUDGE } from '#adapters/aws/eventbridge-pool-nudge';
import { EVENT_SOURCE } from '#adapters/aws/eventbridge-publisher';
import { acknowledgeWildcard } from './nag.ts';

export interface PoolKeepingProps {
  /** The pool keeper function. */
  readonly keeper: lambda.IFunction;
  /** The taskenv bus, where creates and PUTs of pools publish their nudges. */
  readonly bus: events.EventBus;
  /**
   * How often the keeper runs besides its nudges.
   * @default Duration.minutes(1)
   */
  readonly every?: Duration;
}

/**
 * What runs the pool keeper (`DESIGN.md`, "Warm pools"): a schedule every minute, and a rule on
 * the taskenv bus that turns each "Pool Keeper Nudge" (published after a claim and a PUT of a
 * pool) into an asynchronous invocation. Neither retries: the next run is the retry.
 */
export class PoolKeeping extends Construct {
  readonly schedule: scheduler.Schedule;
  /** Assumed by Scheduler to invoke the keeper. */
  readonly scheduleRole: iam.Role;
  readonly nudgeRule: events.Rule;

  constructor(scope: Construct, id: string, props: PoolKeepingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      description: 'taskenv pool keeper schedule: invoke the pool keeper',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: {
            'aws:SourceArn': scheduler.ScheduleGroup.fromDefaultScheduleGroup(this, 'DefaultGroup')
              .scheduleGroupArn,
          },
        },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'taskenv: run the pool keeper',
      schedule: scheduler.ScheduleExpression.rate(props.every ?? Duration.minutes(1)),
      target: new schedulerTargets.LambdaInvoke(props.keeper, { role: this.scheduleRole, retryAttempts: 0 }),
    });
    acknowledgeWildcard(
      this.scheduleRole,
      `${props.keeper.functionArn}:*`,
      'The pool keeper function and its versions (the LambdaInvoke target grants both).',
    );
    this.nudgeRule = new events.Rule(this, 'NudgeRule', {
      description: 'taskenv: run the pool keeper after a claim or a pool change',
      eventBus: props.bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [POOL_KEEPER_NUDGE] },
      targets: [
        new targets.LambdaFunction(props.keeper, { retryAttempts: 0, maxEventAge: Duration.minutes(2) }),
      ],
    });
    // Runs are serial (reserved concurrency 1); a nudge throttled meanwhile is dropped rather
    // than queued for hours: the run in progress or the next minute's covers it.
    props.keeper.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });
  }
}
