import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { type FunctionName, functionNames } from '#shared/routes';
import { functionDeclarations } from '#shared/wiring/functions';
import { logRetentionOf, type TaskenvConfig } from '../config.ts';
import { Api } from '../constructs/api.ts';
import type { BindingResources } from '../constructs/grants/index.ts';
import { Lifecycle } from '../constructs/lifecycle.ts';
import { ListCounters } from '../constructs/list-counters.ts';
import { Observability } from '../constructs/observability.ts';
import { PoolKeeping } from '../constructs/pool-keeping.ts';
import { SandboxCluster } from '../constructs/sandbox-cluster.ts';
import { ServiceFunction, type ServiceFunctionProps } from '../constructs/service-function.ts';
import type { DataResources } from './data-stack.ts';

export interface ServiceStackProps extends StackProps {
  readonly config: TaskenvConfig;
  /** The tables and the env-file bucket of the data stack. */
  readonly data: DataResources;
  /** Reported by `GET /healthz` and the OpenAPI document. */
  readonly version: string;
}

const LIFECYCLE_CHECKS_TIMEOUT = Duration.seconds(30);

/** Per-function settings besides the defaults of {@link ServiceFunction}. */
const FUNCTIONS: Readonly<
  Record<FunctionName, Omit<ServiceFunctionProps, 'name' | 'tracing' | 'logRetention'>>
> = {
  authorizer: {
    description: 'taskenv: API key → principal (REQUEST authorizer)',
    timeout: Duration.seconds(5),
  },
  'environments-create': {
    description: 'taskenv: POST environments',
    // RunTask plus waiting out an identical in-flight request, within API Gateway's 29 s.
    timeout: Duration.seconds(28),
  },
  'environments-read': { description: 'taskenv: GET environments, environment, status' },
  'environments-manage': {
    description: 'taskenv: DELETE environment, keepalive',
    timeout: Duration.seconds(20),
  },
  'environments-exec': {
    description: 'taskenv: execute, executions, verify, logs',
    // The 20 s sync window, a verify script's timeout, within API Gateway's 29 s.
    timeout: Duration.seconds(28),
  },
  'exec-worker': {
    description: 'taskenv: runs one execution over ECS Exec (invoked asynchronously)',
    // The longest command (600 s) plus the SSM handshake and the result write.
    timeout: Duration.minutes(11),
  },
  tasks: { description: 'taskenv: publish, list and get tasks', timeout: Duration.seconds(20) },
  secrets: { description: 'taskenv: put, list and delete workspace secrets', timeout: Duration.seconds(15) },
  admin: { description: 'taskenv: API keys and warm pools of an org', timeout: Duration.seconds(20) },
  meta: {
    description: 'taskenv: OpenAPI document, API reference page, health check',
    memorySize: 512,
    bundledFiles: ['swagger-ui-bundle.js', 'swagger-ui.css'].map((file) => ({
      source: `node_modules/swagger-ui-dist/${file}`,
      target: `docs/${file}`,
    })),
  },
  'task-events': {
    description: 'taskenv: ECS task state change → environment state',
    timeout: Duration.seconds(30),
  },
  reconciler: {
    description: 'taskenv: repair stuck launches, missed events, expired and orphan tasks',
    // Well inside the 5-minute schedule, so runs do not overlap.
    timeout: Duration.minutes(4),
  },
  'pool-keeper': {
    description: 'taskenv: keep warm pools at their size (top up, recycle, shrink)',
    // Inside the one-minute schedule; runs are serial so two never start the same slot twice.
    timeout: Duration.seconds(55),
    reservedConcurrency: 1,
  },
  'lifecycle-checks': {
    description: 'taskenv: launch retries and readiness checks from the delay queue',
    // A batch of up to 10 checks, each a few ECS/DynamoDB calls.
    timeout: LIFECYCLE_CHECKS_TIMEOUT,
  },
  'list-counters': {
    description: 'taskenv: count TTL removals of environments out of the list counters (table stream)',
    memorySize: 512,
    // A batch of up to 100 removals, one small transaction each.
    timeout: Duration.seconds(60),
  },
};

/**
 * The stateless stack: the sandbox cluster, the functions, the API, the lifecycle wiring and
 * the dashboard. It can be destroyed and deployed again without losing data.
 *
 * Each function's rights follow from its declaration (`shared/wiring/functions.ts`), the same
 * one its entry reads its configuration from.
 */
export class ServiceStack extends Stack {
  readonly cluster: SandboxCluster;
  readonly functions: Readonly<Record<FunctionName, ServiceFunction>>;
  readonly lifecycle: Lifecycle;
  readonly poolKeeping: PoolKeeping;
  readonly listCounters: ListCounters;
  readonly api: Api;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const logRetention = logRetentionOf(config);
    const logRemovalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.cluster = new SandboxCluster(this, 'SandboxCluster', {
      urlMode: config.urlMode,
      ...(config.vpcId === undefined
        ? {}
        : { existingVpc: ec2.Vpc.fromLookup(this, 'ExistingVpc', { vpcId: config.vpcId }) }),
      ...(config.allowedCidrs.length === 0 ? {} : { allowedCidrs: config.allowedCidrs }),
      taskPorts: config.taskPorts,
      envFiles: data.envFiles,
      imageRepository: data.imageRepository,
      logRetention,
      logRemovalPolicy,
    });

    const fns = Object.fromEntries(
      functionNames.map((name) => [
        name,
        new ServiceFunction(this, name, {
          name,
          ...FUNCTIONS[name],
          tracing: config.tracing,
          logRetention,
          logRemovalPolicy,
        }),
      ]),
    ) as Record<FunctionName, ServiceFunction>;
    this.functions = fns;

    this.lifecycle = new Lifecycle(this, 'Lifecycle', {
      cluster: this.cluster,
      taskEvents: fns['task-events'].function,
      reconciler: fns.reconciler.function,
      lifecycleChecks: fns['lifecycle-checks'].function,
      lifecycleChecksTimeout: LIFECYCLE_CHECKS_TIMEOUT,
    });
    const { checksQueue } = this.lifecycle;

    const { bus } = this.lifecycle;
    // Each function gets what its declaration binds (shared/wiring/functions.ts), nothing else.
    const resources: BindingResources = {
      table: data.table,
      idempotencyTable: data.idempotencyTable,
      runtime: this.cluster,
      envFiles: data.envFiles,
      expiry: this.lifecycle,
      secretsPrefix: config.secretsPrefix,
      executeTokenKey: data.executeTokenKey,
      bus,
      lifecycleQueue: checksQueue,
      urlMode: config.urlMode,
      taskLogGroup: this.cluster.taskLogGroup,
      execWorker: fns['exec-worker'].function,
      minClientVersion: config.minClientVersion,
      version: props.version,
    };
    for (const name of functionNames) fns[name].wire(functionDeclarations[name].bindings, resources);

    this.poolKeeping = new PoolKeeping(this, 'PoolKeeping', { keeper: fns['pool-keeper'].function, bus });
    this.listCounters = new ListCounters(this, 'ListCounters', {
      consumer: fns['list-counters'].function,
      table: data.table,
    });

    this.api = new Api(this, 'Api', {
      functions: {
        'environments-create': fns['environments-create'].function,
        'environments-read': fns['environments-read'].function,
        'environments-manage': fns['environments-manage'].function,
        'environments-exec': fns['environments-exec'].function,
        tasks: fns.tasks.function,
        secrets: fns.secrets.function,
        admin: fns.admin.function,
        meta: fns.meta.function,
      },
      authorizer: fns.authorizer.function,
      authorizerCacheTtl: Duration.seconds(config.authorizerCacheTtlSeconds),
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      waf: config.waf,
      wafRateLimit: config.wafRateLimit,
      tracing: config.tracing,
      logRetention,
      logRemovalPolicy,
      cloudWatchRole: config.apiGatewayCloudWatchRole,
    });

    this.observability = new Observability(this, 'Observability', {
      restApi: this.api.restApi,
      stage: this.api.stage,
      deadLetterQueue: this.lifecycle.deadLetterQueue,
      checksDeadLetterQueue: this.lifecycle.checksDeadLetterQueue,
      functions: Object.fromEntries(Object.entries(fns).map(([name, fn]) => [name, fn.function])),
      reconciler: fns.reconciler.function,
      ...(config.alarmTopicArn === undefined ? {} : { alarmTopicArn: config.alarmTopicArn }),
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the API (TASKENV_API_URL)',
    });
    new CfnOutput(this, 'ClusterArn', { value: this.cluster.clusterArn });
    new CfnOutput(this, 'EventBusName', {
      value: bus.eventBusName,
      description: 'Environment State Change events (source taskenv) for integrations',
    });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
    new CfnOutput(this, 'TaskSecurityGroupId', { value: this.cluster.taskSecurityGroup.securityGroupId });
  }
}
