import {
  ClientException,
  type ContainerDefinition,
  type ContainerOverride,
  DescribeTasksCommand,
  type ECSClient,
  ECSServiceException,
  type Failure,
  type HealthCheck,
  InvalidParameterException,
  ListTasksCommand,
  type ListTasksCommandInput,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandOutput,
  RunTaskCommand,
  type RunTaskCommandOutput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  type HealthProbe,
  healthProbe,
  type Platform,
  type ServiceDefinition,
} from '#domain/service-manifest';
import { taskNetwork } from '#domain/task-network';
import { resolvedTaskRef } from '#domain/task-ref';
import type { TaskVersionRecord } from '#domain/task-version';
import {
  type ContainerRuntime,
  LaunchFailedError,
  type LaunchRequest,
  RegistrationRefusedError,
  type RuntimeTask,
  TransientLaunchError,
} from '#ports/container-runtime';

/** Where and as whom taskenv's tasks run; the same for every environment of a deployment. */
export interface EcsRuntimeConfig {
  readonly clusterArn: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  /** True in URL mode `public` (clients reach the task at its ENI's public IP). */
  readonly assignPublicIp: boolean;
  /** Pulls images, writes logs and reads the env file from S3. */
  readonly executionRoleArn: string;
  /** What the task's own code may do; meant to be (nearly) nothing. */
  readonly taskRoleArn: string;
  readonly logGroupName: string;
  readonly region: string;
}

/** The only variable taskenv puts in overrides: an id, never a secret (ECS echoes overrides). */
const ENVIRONMENT_ID_ENV_VAR = 'TASKENV_ENVIRONMENT_ID';

/** Prefix of the RunTask `group` of every task taskenv starts; orphan detection keys on it. */
const GROUP_PREFIX = 'taskenv:';

const FAMILY_MAX_LENGTH = 255;
const STOP_REASON_MAX_LENGTH = 255;
/** Failure reasons reach clients in the 502 `detail` and the environment's `error`. */
const FAILURE_REASON_MAX_LENGTH = 500;
const DESCRIBE_BATCH_SIZE = 100;

const truncate = (text: string, max: number): string => (text.length <= max ? text : text.slice(0, max));

/** ECS family: up to 255 letters, digits, `_` and `-`. Org and name are slugs already; this is a backstop. */
const familyOf = (org: string, name: string): string =>
  truncate(`taskenv-${org}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-'), FAMILY_MAX_LENGTH);

const describeFailures = (failures: readonly Failure[]): string =>
  failures
    .map((f) => {
      const reason = f.reason ?? 'unknown reason';
      return f.detail ? `${reason} (${f.detail})` : reason;
    })
    .join('; ');

/**
 * A fault worth retrying rather than failing the environment for: the same RunTask with the
 * same `clientToken` later (the launch retry queue, the reconciler) starts at most one task.
 */
const isTransient = (e: ECSServiceException): boolean =>
  e.$fault === 'server' || e.name === 'ThrottlingException' || e.$retryable?.throttling === true;

/**
 * RunTask `failures[]` reasons that say "not now" rather than "never" (the ECS developer guide,
 * "API failure reasons"): Fargate capacity ("Capacity is unavailable at this time. Please try
 * again later or in a different availability zone"), ENI pressure (RESOURCE:ENI), an agent
 * that is reconnecting (AGENT), and rate limits. Everything else (MISSING, RESOURCE:CPU or
 * MEMORY: a task larger than any instance, an image or definition problem) fails at once.
 */
const TRANSIENT_FAILURE_REASONS: readonly RegExp[] = [
  /capacity is unavailable/i,
  /^RESOURCE:ENI\b/i,
  /^AGENT\b/i,
  /throttl|rate exceeded|too many requests/i,
];

const isTransientFailure = (failure: Failure): boolean =>
  TRANSIENT_FAILURE_REASONS.some((pattern) => pattern.test(failure.reason ?? ''));

/** `runtimePlatform.cpuArchitecture` of each manifest `platform`. */
const CPU_ARCHITECTURES: Readonly<Record<Platform, 'X86_64' | 'ARM64'>> = {
  'linux/amd64': 'X86_64',
  'linux/arm64': 'ARM64',
};

/** How often ECS runs a health check, how long one may take, how many failures make UNHEALTHY. */
const HEALTH_CHECK_TIMING = { interval: 10, timeout: 5, retries: 3 } as const;

/** A string the shell reads back as exactly `text`. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * The container `healthCheck` of a probe. ECS runs it inside the container: an HTTP probe is a
 * `wget` (busybox and most base images) or else `curl` of the port on localhost, both failing on
 * a non-2xx answer, so an image with neither must declare `health.command` instead.
 */
const healthCheckOf = (probe: HealthProbe): HealthCheck => {
  if (probe.kind === 'command') {
    return { command: ['CMD', ...probe.command], ...HEALTH_CHECK_TIMING, startPeriod: probe.graceSec };
  }
  const url = shellQuote(`http://127.0.0.1:${probe.port}${probe.path}`);
  return {
    command: ['CMD-SHELL', `wget -q -O /dev/null ${url} || curl -fsS -o /dev/null ${url} || exit 1`],
    ...HEALTH_CHECK_TIMING,
    startPeriod: probe.graceSec,
  };
};

const containerHealthCheck = (service: ServiceDefinition): { healthCheck?: HealthCheck } => {
  const probe = healthProbe(service);
  return probe === null ? {} : { healthCheck: healthCheckOf(probe) };
};

/** StopTask answers InvalidParameterException "The referenced task was not found" for unknown ARNs. */
const isUnknownTask = (e: ECSServiceException): boolean =>
  e.name === 'ResourceNotFoundException' ||
  (e.name === 'InvalidParameterException' && /not found|stopped/i.test(e.message));

const toRuntimeTask = (task: Task & { taskArn: string }): RuntimeTask => ({
  taskArn: task.taskArn,
  startedBy: task.startedBy ?? null,
  group: task.group ?? null,
  lastStatus: task.lastStatus ?? 'UNKNOWN',
  desiredStatus: task.desiredStatus ?? 'UNKNOWN',
  stopCode: task.stopCode ?? null,
  stoppedReason: task.stoppedReason ?? null,
  containers: (task.containers ?? []).map((c) => ({
    name: c.name ?? '',
    exitCode: c.exitCode ?? null,
    reason: c.reason ?? null,
    healthStatus: c.healthStatus ?? null,
  })),
  healthStatus: task.healthStatus ?? null,
  version: task.version ?? null,
  // DescribeTasks and the task's events carry the same attachments and containers.
  network: taskNetwork(task),
});

/**
 * {@link ContainerRuntime} on ECS Fargate: a task version is a task definition, an environment
 * is one RunTask. Secrets and the execute token reach the containers only through the
 * environment's S3 env file (`environmentFiles`), never through overrides, because ECS echoes
 * overrides in DescribeTasks and in every task state change event.
 */
export class EcsRuntime implements ContainerRuntime {
  readonly #ecs: ECSClient;
  readonly #config: EcsRuntimeConfig;

  constructor({ ecs, config }: { ecs: ECSClient; config: EcsRuntimeConfig }) {
    this.#ecs = ecs;
    this.#config = config;
  }

  async register(task: Omit<TaskVersionRecord, 'taskDefinitionArn'>): Promise<{ taskDefinitionArn: string }> {
    const { manifest } = task;
    const containerDefinitions = Object.entries(manifest.services).map(
      ([name, service]): ContainerDefinition => ({
        name,
        image: service.image,
        essential: service.essential,
        portMappings: service.ports.map((containerPort) => ({ containerPort, protocol: 'tcp' })),
        ...(service.command === undefined ? {} : { command: [...service.command] }),
        ...containerHealthCheck(service),
        environment: Object.entries(service.env ?? {})
          // Keys are unique, so a code-point order is total and stable across registrations.
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([envName, value]) => ({ name: envName, value })),
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': this.#config.logGroupName,
            'awslogs-region': this.#config.region,
            'awslogs-stream-prefix': `${task.org}.${task.name}`,
          },
        },
      }),
    );
    const command = new RegisterTaskDefinitionCommand({
      family: familyOf(task.org, task.name),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: String(manifest.resources.cpu),
      memory: String(manifest.resources.memory),
      runtimePlatform: {
        operatingSystemFamily: 'LINUX',
        cpuArchitecture: CPU_ARCHITECTURES[manifest.platform],
      },
      executionRoleArn: this.#config.executionRoleArn,
      taskRoleArn: this.#config.taskRoleArn,
      containerDefinitions,
      tags: [
        { key: 'taskenv:org', value: task.org },
        { key: 'taskenv:task', value: task.name },
        { key: 'taskenv:version', value: task.version },
      ],
    });
    let response: RegisterTaskDefinitionCommandOutput;
    try {
      response = await this.#ecs.send(command);
    } catch (e) {
      // ECS's own validation of what the manifest became (an image name, a health check, a
      // port): the author's to fix, so its message goes back to them.
      if (e instanceof ClientException || e instanceof InvalidParameterException) {
        throw new RegistrationRefusedError(truncate(e.message, FAILURE_REASON_MAX_LENGTH), { cause: e });
      }
      throw e;
    }
    const taskDefinitionArn = response.taskDefinition?.taskDefinitionArn;
    if (taskDefinitionArn === undefined) {
      throw new Error(`RegisterTaskDefinition returned no ARN for ${task.org}/${task.name}@${task.version}`);
    }
    return { taskDefinitionArn };
  }

  async launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    const { environmentId, org, workspace, task, envFileRef } = request;
    if (task.taskDefinitionArn === null) {
      throw new LaunchFailedError(
        `${task.org}/${task.name}@${task.version} has no ECS task definition; publish it again`,
      );
    }
    // A pool task (no env file) gets no overrides at all: it belongs to no environment yet.
    const containerOverrides =
      envFileRef === null
        ? []
        : Object.keys(task.manifest.services).map(
            (name): ContainerOverride => ({
              name,
              environmentFiles: [{ type: 's3', value: envFileRef }],
              environment: [{ name: ENVIRONMENT_ID_ENV_VAR, value: environmentId }],
            }),
          );
    const tags =
      workspace === null
        ? [
            { key: 'taskenv:org', value: org },
            { key: 'taskenv:task', value: resolvedTaskRef(task) },
            { key: 'taskenv:pool-slot', value: environmentId },
          ]
        : [
            { key: 'taskenv:org', value: org },
            { key: 'taskenv:workspace', value: workspace },
            { key: 'taskenv:environment-id', value: environmentId },
          ];
    const command = new RunTaskCommand({
      cluster: this.#config.clusterArn,
      taskDefinition: task.taskDefinitionArn,
      launchType: 'FARGATE',
      count: 1,
      // A retried launch of the same environment returns the first task instead of a second one.
      clientToken: environmentId,
      startedBy: environmentId,
      group: `${GROUP_PREFIX}${org}`,
      // ECS Exec (execute, verify): the SSM agent starts in the task, on the task role's channels.
      enableExecuteCommand: true,
      tags,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...this.#config.subnets],
          securityGroups: [...this.#config.securityGroups],
          assignPublicIp: this.#config.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      ...(containerOverrides.length === 0 ? {} : { overrides: { containerOverrides } }),
    });

    let response: RunTaskCommandOutput;
    try {
      response = await this.#ecs.send(command);
    } catch (e) {
      if (e instanceof ECSServiceException) {
        const reason = truncate(`${e.name}: ${e.message}`, FAILURE_REASON_MAX_LENGTH);
        throw isTransient(e)
          ? new TransientLaunchError(reason, { cause: e })
          : new LaunchFailedError(reason, { cause: e });
      }
      throw e;
    }

    const failures = response.failures ?? [];
    if (failures.length > 0) {
      const reason = truncate(describeFailures(failures), FAILURE_REASON_MAX_LENGTH);
      // One task per call, so one failure decides; should there be several, any permanent one does.
      throw failures.every(isTransientFailure)
        ? new TransientLaunchError(reason)
        : new LaunchFailedError(reason);
    }
    const taskArn = response.tasks?.[0]?.taskArn;
    if (taskArn === undefined) {
      throw new LaunchFailedError('ECS started no task and reported no failure');
    }
    return { taskArn };
  }

  async stop(taskArn: string, reason: string): Promise<void> {
    try {
      await this.#ecs.send(
        new StopTaskCommand({
          cluster: this.#config.clusterArn,
          task: taskArn,
          reason: truncate(reason, STOP_REASON_MAX_LENGTH),
        }),
      );
    } catch (e) {
      // Gone already is the goal reached; anything else (wrong cluster, no permission) must surface.
      if (e instanceof ECSServiceException && isUnknownTask(e)) {
        return;
      }
      throw e;
    }
  }

  async describe(taskArns: readonly string[]): Promise<RuntimeTask[]> {
    const batches: string[][] = [];
    for (let i = 0; i < taskArns.length; i += DESCRIBE_BATCH_SIZE) {
      batches.push(taskArns.slice(i, i + DESCRIBE_BATCH_SIZE));
    }
    const responses = await Promise.all(
      batches.map((tasks) =>
        this.#ecs.send(new DescribeTasksCommand({ cluster: this.#config.clusterArn, tasks })),
      ),
    );
    // Unknown ARNs come back as `failures` (reason MISSING); the port omits them.
    return responses.flatMap((r) =>
      (r.tasks ?? [])
        .filter((t): t is Task & { taskArn: string } => t.taskArn !== undefined)
        .map(toRuntimeTask),
    );
  }

  async findByEnvironment(environmentId: string): Promise<RuntimeTask | null> {
    // ListTasks demands that `startedBy` be its only filter, so the desired status is picked
    // here: a task meant to run is the live one; a stopped one only matters when nothing runs.
    const taskArns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#listPage({
        startedBy: environmentId,
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      taskArns.push(...page.taskArns);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    if (taskArns.length === 0) return null;
    const tasks = await this.describe(taskArns);
    return tasks.find((t) => t.desiredStatus === 'RUNNING') ?? tasks[0] ?? null;
  }

  async listRunning(): Promise<RuntimeTask[]> {
    // ListTasks cannot filter by group (nor by a startedBy prefix), so list the whole cluster.
    const taskArns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#listPage({
        desiredStatus: 'RUNNING',
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      taskArns.push(...page.taskArns);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    const tasks = await this.describe(taskArns);
    return tasks.filter((t) => t.group?.startsWith(GROUP_PREFIX) === true);
  }

  async #listPage(
    input: Omit<ListTasksCommandInput, 'cluster'>,
  ): Promise<{ taskArns: string[]; nextToken: string | undefined }> {
    const response = await this.#ecs.send(
      new ListTasksCommand({ cluster: this.#config.clusterArn, ...input }),
    );
    return { taskArns: response.taskArns ?? [], nextToken: response.nextToken };
  }
}
