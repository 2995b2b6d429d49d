import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { POOL_KEEPER_NUDGE } from '#adapters/aws/eventbridge-pool-nudge';
import { EVENT_SOURCE } from '#adapters/aws/eventbridge-publisher';
import { scheduleFunction } from './function-schedule.ts';

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
 * What runs the pool keeper (`docs/design.md`, "Warm pools"): a schedule every minute, and a rule on
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
    const { role, schedule } = scheduleFunction(this, {
      target: props.keeper,
      label: 'pool keeper',
      every: props.every ?? Duration.minutes(1),
      ids: { role: 'ScheduleRole', schedule: 'Schedule' },
    });
    this.scheduleRole = role;
    this.schedule = schedule;
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
