import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { reconcileActions } from '#use-cases/reconcile';

/** Namespace of the Powertools metrics (`createMetrics` in `shared/observability.ts`) and of ours. */
export const METRICS_NAMESPACE = 'taskenv';

export interface ObservabilityProps {
  readonly restApi: apigateway.RestApi;
  readonly stage: apigateway.Stage;
  readonly deadLetterQueue: sqs.IQueue;
  /** Launch retries and readiness checks that failed every delivery. */
  readonly checksDeadLetterQueue: sqs.IQueue;
  /** Every function, by name, for the errors and duration widgets. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly reconciler: lambda.IFunction;
  /**
   * An SNS topic every alarm notifies when it fires and when it clears.
   * @default no alarm actions
   */
  readonly alarmTopicArn?: string;
  /**
   * Share of API requests answered 5xx that raises the alarm.
   * @default 0.05
   */
  readonly serverErrorRateThreshold?: number;
  /**
   * Launch failures per 15 minutes that raise the alarm.
   * @default 3
   */
  readonly launchFailureThreshold?: number;
  /**
   * Reconciler repairs per hour that raise the alarm: a repair means the event path or a
   * request lost something, which should stay rare.
   * @default 10
   */
  readonly repairThreshold?: number;
}

/**
 * A dashboard and the alarms an operator acts on: API 5xx rate, task events in the DLQ,
 * reconciler repairs and failures, and launch failures. Launch failures are counted from three
 * places: POST environments answering 502 (ECS refused RunTask, from the access log), a task
 * that stopped before it was ever ready (from the task-events log), and launches the reconciler
 * gave up (its `reconcile.failed` metric).
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly serverErrorAlarm: cloudwatch.Alarm;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly checksDeadLetterAlarm: cloudwatch.Alarm;
  readonly repairAlarm: cloudwatch.Alarm;
  readonly reconcilerErrorAlarm: cloudwatch.Alarm;
  readonly launchFailureAlarm: cloudwatch.Alarm;
  /** Environments failed at launch, summed over the three sources. */
  readonly launchFailures: cloudwatch.MathExpression;
  /** Reconciler repairs of every kind, summed. */
  readonly repairs: cloudwatch.MathExpression;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    // API Gateway's 5XXError averaged over requests is the share of requests answered 5xx.
    const serverErrorRate = props.restApi.metricServerError({
      statistic: cloudwatch.Stats.AVERAGE,
      period: fiveMinutes,
    });
    this.serverErrorAlarm = serverErrorRate.createAlarm(this, 'ServerErrorAlarm', {
      alarmDescription: 'taskenv API: more than the threshold share of requests answered 5xx',
      threshold: props.serverErrorRateThreshold ?? 0.05,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: fiveMinutes,
    });
    this.deadLetterAlarm = deadLetters.createAlarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'taskenv: task state events failed every retry and wait in the DLQ',
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.checksDeadLetterAlarm = props.checksDeadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: fiveMinutes })
      .createAlarm(this, 'ChecksDeadLetterAlarm', {
        alarmDescription:
          'taskenv: launch retries or readiness checks failed every delivery and wait in their DLQ',
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const reconcileMetric = (action: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: `reconcile.${action}`,
        dimensionsMap: { service: 'reconciler' },
        statistic: cloudwatch.Stats.SUM,
        period,
        label: action,
      });
    this.repairs = new cloudwatch.MathExpression({
      expression: reconcileActions.map((_, i) => `FILL(r${i}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(
        reconcileActions.map((action, i) => [`r${i}`, reconcileMetric(action, Duration.hours(1))]),
      ),
      period: Duration.hours(1),
      label: 'reconciler repairs',
    });
    this.repairAlarm = this.repairs.createAlarm(this, 'RepairAlarm', {
      alarmDescription:
        'taskenv: the reconciler keeps repairing environments (lost events or failed requests)',
      threshold: props.repairThreshold ?? 10,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.reconcilerErrorAlarm = props.reconciler
      .metricErrors({ period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM })
      .createAlarm(this, 'ReconcilerErrorAlarm', {
        alarmDescription: 'taskenv: reconciler runs keep failing (some repairs cannot be made)',
        threshold: 3,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    // EMF counters the handlers emit (Powertools metrics; the `service` dimension is the function).
    const handlerMetric = (service: string, metricName: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    const fifteenMinutes = Duration.minutes(15);
    this.launchFailures = new cloudwatch.MathExpression({
      expression:
        'FILL(refused, 0) + FILL(stopped, 0) + FILL(gaveUp, 0) + FILL(retriesOut, 0) + FILL(unhealthy, 0)',
      usingMetrics: {
        // Refused for now until the launch deadline, then for good.
        retriesOut: handlerMetric('lifecycle-checks', 'launchRetry.failed', fifteenMinutes),
        // Running, but never healthy within the grace period.
        unhealthy: handlerMetric('lifecycle-checks', 'readinessCheck.failed', fifteenMinutes),
        // The platform refused RunTask (the 502 of POST environments).
        refused: handlerMetric('environments-create', 'launchFailed', fifteenMinutes),
        // A task stopped on its own (exit code, image pull, health) before or after ready.
        stopped: handlerMetric('task-events', 'environmentFailed', fifteenMinutes),
        gaveUp: reconcileMetric('failed', fifteenMinutes),
      },
      period: fifteenMinutes,
      label: 'launch failures',
    });
    this.launchFailureAlarm = this.launchFailures.createAlarm(this, 'LaunchFailureAlarm', {
      alarmDescription: 'taskenv: environments keep failing to launch (images, capacity, quotas)',
      threshold: props.launchFailureThreshold ?? 3,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.alarmTopicArn !== undefined) {
      const action = new actions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn));
      for (const alarm of [
        this.serverErrorAlarm,
        this.deadLetterAlarm,
        this.checksDeadLetterAlarm,
        this.repairAlarm,
        this.reconcilerErrorAlarm,
        this.launchFailureAlarm,
      ]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    const functions = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'API requests',
            left: [
              props.restApi.metricCount({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
              props.restApi.metricClientError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
              props.restApi.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (p50, p99)',
            left: [
              props.restApi.metricLatency({ period: fiveMinutes, statistic: 'p50' }),
              props.restApi.metricLatency({ period: fiveMinutes, statistic: 'p99' }),
            ],
            width: 8,
          }),
          new cloudwatch.AlarmWidget({ title: 'API 5xx rate', alarm: this.serverErrorAlarm, width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Launch failures (15 min)',
            left: [this.launchFailures],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Reconciler actions (per hour)',
            left: [...reconcileActions, 'errors'].map((action) => reconcileMetric(action, Duration.hours(1))),
            stacked: true,
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Task events',
            left: [
              ...['taskEventApplied', 'taskEventIgnored'].map(
                (name) =>
                  new cloudwatch.Metric({
                    namespace: METRICS_NAMESPACE,
                    metricName: name,
                    dimensionsMap: { service: 'task-events' },
                    statistic: cloudwatch.Stats.SUM,
                    period: fiveMinutes,
                  }),
              ),
            ],
            right: [deadLetters],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Warm pools: claims and misses',
            left: ['poolClaimed', 'poolMissed'].map((name) =>
              handlerMetric('environments-create', name, fiveMinutes),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Warm pools: size and warm, per pool',
            // Pools are data, not infrastructure: one line per `pool` dimension the keeper emits.
            left: ['poolSize', 'poolWarm'].map(
              (name) =>
                new cloudwatch.MathExpression({
                  expression: `SEARCH('{${METRICS_NAMESPACE},pool,service} MetricName="${name}"', 'Minimum', 60)`,
                  label: name,
                  period: Duration.minutes(1),
                }),
            ),
            width: 16,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: functions.map(([name, fn]) =>
              fn.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM, label: name }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function duration (p99)',
            left: functions.map(([name, fn]) =>
              fn.metricDuration({ period: fiveMinutes, statistic: 'p99', label: name }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles',
            left: functions.map(([name, fn]) =>
              fn.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM, label: name }),
            ),
            width: 8,
          }),
        ],
      ],
    });
  }
}
