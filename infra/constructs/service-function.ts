import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from '#shared/routes';
import { acknowledgeWildcard } from './nag.ts';

/** The repository root: entries are `functions/<name>.ts`, the lock file sits here. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundled CommonJS code calls `require` for Node built-ins; an ES module has none, so the
 * bundle defines one (esbuild's own shim throws "Dynamic require … is not supported").
 */
const ESM_REQUIRE_BANNER =
  "import{createRequire as __taskenvCreateRequire}from'node:module';const require=__taskenvCreateRequire(import.meta.url);";

/** A file copied next to the bundle after esbuild ran. */
export interface BundledFile {
  /** Path relative to the repository root (`node_modules/swagger-ui-dist/swagger-ui.css`). */
  readonly source: string;
  /** Path relative to the bundle directory (`docs/swagger-ui.css`). */
  readonly target: string;
}

export interface ServiceFunctionProps {
  /** The entry `functions/<name>.ts`. */
  readonly name: FunctionName;
  /** Shown in the console; says what the function is for. */
  readonly description: string;
  /**
   * Memory in MB. CPU share grows with it, and so does cold-start speed.
   * @default 1024
   */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /**
   * Active X-Ray tracing.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What `cdk destroy` does with the log group.
   * @default RemovalPolicy.RETAIN (CDK's default for log groups)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Variables that are not bindings (bindings set their own through the `bind*` methods).
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Files the entry reads at run time, copied into the bundle.
   * @default none
   */
  readonly bundledFiles?: readonly BundledFile[];
  /**
   * Reserved concurrency: 1 makes the function's runs serial (the pool keeper).
   * @default none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
}

/**
 * How much of a DynamoDB table a function may touch:
 * - `lookup`: GetItem (key lookups only);
 * - `read`: GetItem, and Query on the table and its indexes;
 * - `readWrite`: `read` plus PutItem and UpdateItem (transactions are authorised per item
 *   action; there is no IAM action for TransactWriteItems itself);
 * - `keyValue`: GetItem, PutItem, UpdateItem, DeleteItem and no Query (a store keyed by id,
 *   like the Powertools idempotency table).
 */
export type TableAccess = 'lookup' | 'read' | 'readWrite' | 'keyValue';

export interface BindTableOptions {
  /** @default 'read' */
  readonly access?: TableAccess;
  /** Also DeleteItem (with `read`/`readWrite`). @default false */
  readonly delete?: boolean;
  /** @default 'TABLE_NAME' */
  readonly envVar?: string;
}

const ITEM_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  lookup: ['dynamodb:GetItem'],
  // BatchGetItem: a listing page's items, by key.
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  keyValue: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
};

/** A table as the bindings need it (what `dynamodb.ITable` offers, by name and ARN). */
export type TableRef = Pick<dynamodb.ITable, 'tableArn' | 'tableName'>;

/** A queue as the bindings need it. */
export type QueueRef = Pick<sqs.IQueue, 'queueArn' | 'queueUrl'>;

/** An event bus as the bindings need it. */
export type EventBusRef = Pick<events.IEventBus, 'eventBusArn' | 'eventBusName'>;

/** The KMS-encrypted bucket of per-environment env files and where in it they live. */
export interface EnvFileBucket {
  readonly bucket: Pick<s3.IBucket, 'bucketArn' | 'bucketName' | 'arnForObjects'>;
  readonly key: Pick<kms.IKey, 'keyArn'>;
  /** Object key prefix of the env files, with its trailing slash (`env/`). */
  readonly prefix: string;
}

/** The KMS HMAC key of the execute tokens. */
export type ExecuteTokenKeyRef = Pick<kms.IKey, 'keyArn'>;

/** `issue`: GenerateMac (the create function); `verify`: VerifyMac (the functions that check a token). */
export type ExecuteTokenOperation = 'issue' | 'verify';

export interface BindBucketOptions {
  /** `delete`: DeleteObject only. `write`: PutObject (SSE-KMS with the bucket's key) and DeleteObject. */
  readonly access: 'delete' | 'write';
}

/** What the ECS runtime adapter needs to know and may be allowed to do on the sandbox cluster. */
export interface ContainerRuntimeBinding {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: boolean;
  readonly executionRole: iam.IRole;
  readonly taskRole: iam.IRole;
  readonly taskLogGroup: logs.ILogGroup;
}

/**
 * ECS operations a function may perform:
 * - `register`: RegisterTaskDefinition of `taskenv-*` families (+ tagging them, PassRole);
 * - `run`: RunTask of `taskenv-*` task definitions on our cluster (+ tagging the task, PassRole);
 * - `stop`: StopTask of our cluster's tasks;
 * - `describe`: DescribeTasks of our cluster's tasks;
 * - `inspect`: DescribeTasks and ListTasks on our cluster.
 */
export type ContainerOperation = 'register' | 'run' | 'stop' | 'describe' | 'inspect';

/** The Scheduler group of the expiry schedules and the role the schedules run as. */
export interface ExpiryBinding {
  readonly groupName: string;
  readonly role: iam.IRole;
  readonly clusterArn: string;
}

export interface BindSecretsOptions {
  /** `read`: GetSecretValue. `manage`: create, replace, restore, delete and tag, never read. */
  readonly access: 'read' | 'manage';
}

/**
 * A Lambda function built from `functions/<name>.ts` with every default in one place: the
 * latest Node.js runtime CDK offers, arm64, minified ESM with source maps and the AWS SDK
 * bundled (one pinned SDK, and a smaller cold start than the runtime's full copy), its own log
 * group with a retention, and a role that may only write that log group until a `bind*` method
 * grants more. Each `bind*` grants exactly what the adapter behind it calls and sets the
 * variables the entry's config schema reads, together, so the two cannot drift apart.
 */
export class ServiceFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly name: FunctionName;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.name = props.name;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      ...(props.logRemovalPolicy === undefined ? {} : { removalPolicy: props.logRemovalPolicy }),
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: that one may write
    // to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `taskenv ${props.name} function`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const files = props.bundledFiles ?? [];
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/${props.name}.ts`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing === true ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: {
        // Stack traces through the bundled source map instead of minified names.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        // ESM builds of the SDK, middy and Powertools: smaller bundles, better tree shaking.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Stack traces need names and lines, not the sources: keeps the asset small.
        sourcesContent: false,
        // Bundle the AWS SDK too (CDK leaves `@aws-sdk/*` out by default).
        externalModules: [],
        banner: ESM_REQUIRE_BANNER,
        forceDockerBundling: false,
        ...(files.length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  copyCommands(files, inputDir, outputDir),
              },
            }),
      },
    });

    if (props.tracing === true) {
      acknowledgeWildcard(
        this.role,
        '*',
        'X-Ray: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permission.',
      );
    }
  }

  /** Sets one variable of the entry's configuration. */
  addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Adds a statement to the function's own policy. A statement whose resources hold a wildcard
   * says why in `wildcardReason` (it becomes the cdk-nag acknowledgement of that resource).
   */
  addToPolicy(statement: iam.PolicyStatement, wildcardReason?: string): this {
    this.role.addToPrincipalPolicy(statement);
    for (const resource of statement.resources) {
      if (!resource.includes('*')) continue;
      if (wildcardReason === undefined) {
        throw new Error(`${this.node.path}: a wildcard resource needs a reason (${resource})`);
      }
      acknowledgeWildcard(this.role, resource, wildcardReason);
    }
    return this;
  }

  /** Grants `access` to `table` (read-only by default) and sets its name in `envVar`. */
  bindTable(table: TableRef, options: BindTableOptions = {}): this {
    const access = options.access ?? 'read';
    const itemActions = [
      ...ITEM_ACTIONS[access],
      ...(options.delete === true ? ['dynamodb:DeleteItem'] : []),
    ];
    this.addToPolicy(
      new iam.PolicyStatement({ actions: [...new Set(itemActions)], resources: [table.tableArn] }),
    );
    if (access === 'read' || access === 'readWrite') {
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [table.tableArn, `${table.tableArn}/index/*`],
        }),
        'Query on the global secondary indexes of our own table.',
      );
    }
    return this.addEnvironment(options.envVar ?? 'TABLE_NAME', table.tableName);
  }

  /** Grants access to the env files of `envFiles` and sets `ENV_FILE_BUCKET` and `ENV_FILE_KMS_KEY_ID`. */
  bindBucket(envFiles: EnvFileBucket, options: BindBucketOptions): this {
    this.addToPolicy(
      new iam.PolicyStatement({
        actions: options.access === 'write' ? ['s3:PutObject', 's3:DeleteObject'] : ['s3:DeleteObject'],
        resources: [envFiles.bucket.arnForObjects(`${envFiles.prefix}*`)],
      }),
      'One env file per environment under the env-file prefix of our bucket; keys are environment ids.',
    );
    if (options.access === 'write') {
      // SSE-KMS PutObject: S3 asks KMS for a data key on the caller's behalf.
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey'],
          resources: [envFiles.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    this.addEnvironment('ENV_FILE_BUCKET', envFiles.bucket.bucketName);
    return this.addEnvironment('ENV_FILE_KMS_KEY_ID', envFiles.key.keyArn);
  }

  /** Grants GenerateMac and/or VerifyMac on the execute-token key, and sets `EXECUTE_TOKEN_KEY_ID`. */
  bindExecuteTokens(key: ExecuteTokenKeyRef, operations: readonly ExecuteTokenOperation[]): this {
    const actions = { issue: 'kms:GenerateMac', verify: 'kms:VerifyMac' } as const;
    this.addToPolicy(
      new iam.PolicyStatement({ actions: operations.map((o) => actions[o]), resources: [key.keyArn] }),
    );
    return this.addEnvironment('EXECUTE_TOKEN_KEY_ID', key.keyArn);
  }

  /** Grants PutEvents on `bus` and sets `EVENT_BUS_NAME`. */
  bindBus(bus: EventBusRef): this {
    this.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    );
    return this.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  }

  /**
   * Grants `operations` on the sandbox cluster and sets every variable of the ECS runtime
   * config (cluster, subnets, security groups, public IP flag, roles, task log group).
   */
  bindContainerRuntime(runtime: ContainerRuntimeBinding, operations: readonly ContainerOperation[]): this {
    const stack = Stack.of(this);
    const onCluster = { ArnEquals: { 'ecs:cluster': runtime.clusterArn } };
    const tasks = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${runtime.clusterName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const taskDefinitions = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: 'taskenv-*:*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const ourTasks =
      'Tasks of our own cluster only (task ids are random), also held to it by the ecs:cluster condition.';
    const ourFamilies =
      'Task definitions of taskenv families only (taskenv-<org>-<name>, one revision per published version).';
    const ops = new Set(operations);
    if (ops.has('register')) {
      this.addToPolicy(
        // RegisterTaskDefinition has no resource-level permission: IAM only accepts "*".
        new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: ['*'] }),
        'ecs:RegisterTaskDefinition has no resource-level permission; IAM only accepts "*".',
      );
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:TagResource'],
          resources: [taskDefinitions],
          conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        }),
        ourFamilies,
      );
    }
    if (ops.has('run')) {
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:RunTask'],
          resources: [taskDefinitions],
          conditions: onCluster,
        }),
        ourFamilies,
      );
      // RunTask with tags needs TagResource on the new task (ECS tag-on-create authorisation).
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:TagResource'],
          resources: [tasks],
          conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        }),
        ourTasks,
      );
    }
    if (ops.has('stop')) {
      this.addToPolicy(
        new iam.PolicyStatement({ actions: ['ecs:StopTask'], resources: [tasks], conditions: onCluster }),
        ourTasks,
      );
    }
    if (ops.has('describe') || ops.has('inspect')) {
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:DescribeTasks'],
          resources: [tasks],
          conditions: onCluster,
        }),
        ourTasks,
      );
    }
    if (ops.has('inspect')) {
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:ListTasks'],
          // ListTasks is authorised against container instances, which Fargate has none of: the
          // ecs:cluster condition is what scopes it, and the resource must be "*".
          resources: ['*'],
          conditions: onCluster,
        }),
        'ecs:ListTasks is scoped by the ecs:cluster condition; its resource type (container instance) cannot name Fargate tasks.',
      );
    }
    if (ops.has('run') || ops.has('register')) {
      this.addToPolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [runtime.executionRole.roleArn, runtime.taskRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      );
    }

    this.addEnvironment('CLUSTER_ARN', runtime.clusterArn);
    this.addEnvironment('SUBNETS', runtime.subnetIds.join(','));
    this.addEnvironment('SECURITY_GROUPS', runtime.securityGroupIds.join(','));
    this.addEnvironment('ASSIGN_PUBLIC_IP', String(runtime.assignPublicIp));
    this.addEnvironment('EXECUTION_ROLE_ARN', runtime.executionRole.roleArn);
    this.addEnvironment('TASK_ROLE_ARN', runtime.taskRole.roleArn);
    return this.addEnvironment('LOG_GROUP_NAME', runtime.taskLogGroup.logGroupName);
  }

  /**
   * Grants ECS Exec (`ecs:ExecuteCommand`) on the sandbox cluster's tasks only and sets
   * `CLUSTER_ARN` (the exec-worker's ECS command runner).
   */
  bindCommandRunner(runtime: Pick<ContainerRuntimeBinding, 'clusterArn' | 'clusterName'>): this {
    const tasks = Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${runtime.clusterName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ExecuteCommand'],
        resources: [runtime.clusterArn, tasks],
        conditions: { ArnEquals: { 'ecs:cluster': runtime.clusterArn } },
      }),
      'Tasks of our own cluster only (task ids are random), also held to it by the ecs:cluster condition.',
    );
    return this.addEnvironment('CLUSTER_ARN', runtime.clusterArn);
  }

  /** Grants reading the task log group's streams (`GET …/logs`) and sets `LOG_GROUP_NAME`. */
  bindTaskLogs(logGroup: Pick<logs.ILogGroup, 'logGroupName'>): this {
    const streams = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${logGroup.logGroupName}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [streams] }),
      'The streams of the task log group only: one stream per container of each task.',
    );
    return this.addEnvironment('LOG_GROUP_NAME', logGroup.logGroupName);
  }

  /** Grants invoking `worker` (asynchronously) and sets its name in `envVar`. */
  bindInvoke(worker: Pick<lambda.IFunction, 'functionArn' | 'functionName'>, envVar: string): this {
    this.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [worker.functionArn] }),
    );
    return this.addEnvironment(envVar, worker.functionName);
  }

  /**
   * Grants creating, moving and deleting the expiry schedules of our group (and passing their
   * role to Scheduler) and sets `SCHEDULER_GROUP`, `SCHEDULER_ROLE_ARN` and `CLUSTER_ARN`.
   */
  bindExpiry(expiry: ExpiryBinding): this {
    const schedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      // `SchedulerExpiry` names each schedule taskenv-<environment id>.
      resourceName: `${expiry.groupName}/taskenv-*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.addToPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        resources: [schedules],
      }),
      'One expiry schedule per environment (taskenv-<environment id>) in our own schedule group.',
    );
    this.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [expiry.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    this.addEnvironment('SCHEDULER_GROUP', expiry.groupName);
    this.addEnvironment('SCHEDULER_ROLE_ARN', expiry.role.roleArn);
    return this.addEnvironment('CLUSTER_ARN', expiry.clusterArn);
  }

  /**
   * Grants access to the workspace secrets under `prefix` and sets `SECRETS_PREFIX`. The secrets
   * use the account's `aws/secretsmanager` key, whose policy already lets Secrets Manager use it
   * for callers of this account, so no KMS statement is needed.
   */
  bindSecrets(prefix: string, options: BindSecretsOptions): this {
    const secrets = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.addToPolicy(
      new iam.PolicyStatement({
        actions:
          options.access === 'read'
            ? ['secretsmanager:GetSecretValue']
            : [
                'secretsmanager:CreateSecret',
                'secretsmanager:PutSecretValue',
                'secretsmanager:RestoreSecret',
                'secretsmanager:DeleteSecret',
                // CreateSecret with Tags needs TagResource too.
                'secretsmanager:TagResource',
              ],
        resources: [secrets],
      }),
      'Workspace secrets are created at run time as <prefix>/<org>/<workspace>/<id>; the prefix is ours.',
    );
    return this.addEnvironment('SECRETS_PREFIX', prefix);
  }

  /** Grants sqs:SendMessage on the lifecycle queue (launch retries, readiness checks) and sets `LIFECYCLE_QUEUE_URL`. */
  bindLifecycleQueue(queue: QueueRef): this {
    this.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    return this.addEnvironment('LIFECYCLE_QUEUE_URL', queue.queueUrl);
  }

  /**
   * Sets `URL_MODE`; in public mode also grants ec2:DescribeNetworkInterfaces, which the
   * address resolver calls to find a task's public IP (private mode reads the event only).
   */
  bindAddressResolver(urlMode: 'public' | 'private'): this {
    if (urlMode === 'public') {
      this.addToPolicy(
        // EC2 Describe* actions have no resource-level permissions: IAM only accepts "*".
        new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }),
        'ec2:DescribeNetworkInterfaces has no resource-level permission; IAM only accepts "*".',
      );
    }
    return this.addEnvironment('URL_MODE', urlMode);
  }
}

const copyCommands = (files: readonly BundledFile[], inputDir: string, outputDir: string): string[] => {
  const dirs = [
    ...new Set(files.map((f) => f.target.split('/').slice(0, -1).join('/')).filter((d) => d !== '')),
  ];
  return [
    ...dirs.map((dir) => `mkdir -p "${outputDir}/${dir}"`),
    ...files.map((f) => `cp "${inputDir}/${f.source}" "${outputDir}/${f.target}"`),
  ];
};
