import {
  ClientException,
  ClusterNotFoundException,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListTasksCommand,
  PlatformUnknownException,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServerException,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsRuntime, type EcsRuntimeConfig } from '#adapters/aws/ecs-runtime';
import { S3EnvFileStore } from '#adapters/aws/s3-env-file-store';
import type { TaskManifest } from '#domain/manifest';
import type { TaskVersionRecord } from '#domain/task-version';
import {
  LaunchFailedError,
  type LaunchRequest,
  RegistrationRefusedError,
  TransientLaunchError,
} from '#ports/container-runtime';

const ecs = new ECSClient({ region: 'eu-west-1' });
const ecsMock = mockClient(ecs);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/taskenv';
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/taskenv-acme-web-sqli:3';
const ENV_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ENV_FILE = `arn:aws:s3:::taskenv-env-files/env/${ENV_ID}.env`;
const TASK_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/taskenv/${'a'.repeat(32)}`;

const config: EcsRuntimeConfig = {
  clusterArn: CLUSTER,
  subnets: ['subnet-aaa', 'subnet-bbb'],
  securityGroups: ['sg-123'],
  assignPublicIp: true,
  executionRoleArn: 'arn:aws:iam::123456789012:role/taskenv-execution',
  taskRoleArn: 'arn:aws:iam::123456789012:role/taskenv-task',
  logGroupName: '/taskenv/tasks',
  region: 'eu-west-1',
};

const manifest: TaskManifest = {
  name: 'web-sqli',
  version: '1.2.0',
  description: 'SQL injection login bypass',
  public: false,
  instruction: 'Log in to {{ web_url }}/login as {{ user }}.',
  inputs: { user: { type: 'string', default: 'admin' } },
  services: {
    web: {
      image: 'public.ecr.aws/docker/library/nginx:1.27',
      ports: [80, 443],
      command: ['nginx', '-g', 'daemon off;'],
      env: { MODE: 'ctf', DB_HOST: 'localhost' },
      health: { path: '/', port: 80, grace_sec: 60 },
      essential: true,
    },
    db: {
      image: 'public.ecr.aws/docker/library/postgres:16',
      ports: [5432],
      essential: false,
    },
  },
  platform: 'linux/amd64',
  resources: { cpu: 512, memory: 1024 },
  timeout: { default_sec: 900 },
};

const version: TaskVersionRecord = {
  org: 'acme',
  name: 'web-sqli',
  version: '1.2.0',
  public: false,
  description: 'SQL injection login bypass',
  manifest,
  taskDefinitionArn: TASK_DEFINITION,
  createdAt: '2026-01-01T00:00:00.000Z',
};

const launchRequest: LaunchRequest = {
  environmentId: ENV_ID,
  org: 'acme',
  workspace: 'research',
  task: version,
  envFileRef: ENV_FILE,
};

const runtime = (overrides: Partial<EcsRuntimeConfig> = {}): EcsRuntime =>
  new EcsRuntime({ ecs, config: { ...config, ...overrides } });

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject');
};

const ecsTask = (arn: string, fields: Partial<Task> = {}): Task => ({
  taskArn: arn,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  group: 'taskenv:acme',
  startedBy: ENV_ID,
  containers: [{ name: 'web' }],
  ...fields,
});

beforeEach(() => {
  ecsMock.reset();
  s3Mock.reset();
});

describe('EcsRuntime.register', () => {
  it('registers one Fargate task definition with a container per service', async () => {
    // Prepare
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskDefinitionArn: TASK_DEFINITION } });
    const { taskDefinitionArn: _ignored, ...unregistered } = version;

    // Act
    const result = await runtime().register(unregistered);

    // Assess
    expect(result).toEqual({ taskDefinitionArn: TASK_DEFINITION });
    const logConfiguration = {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/taskenv/tasks',
        'awslogs-region': 'eu-west-1',
        'awslogs-stream-prefix': 'acme.web-sqli',
      },
    };
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toEqual({
      family: 'taskenv-acme-web-sqli',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: 'arn:aws:iam::123456789012:role/taskenv-execution',
      taskRoleArn: 'arn:aws:iam::123456789012:role/taskenv-task',
      containerDefinitions: [
        {
          name: 'web',
          image: 'public.ecr.aws/docker/library/nginx:1.27',
          essential: true,
          portMappings: [
            { containerPort: 80, protocol: 'tcp' },
            { containerPort: 443, protocol: 'tcp' },
          ],
          command: ['nginx', '-g', 'daemon off;'],
          // The manifest's HTTP probe, run by ECS inside the container.
          healthCheck: {
            command: [
              'CMD-SHELL',
              "wget -q -O /dev/null 'http://127.0.0.1:80/' || curl -fsS -o /dev/null 'http://127.0.0.1:80/' || exit 1",
            ],
            interval: 10,
            timeout: 5,
            retries: 3,
            startPeriod: 60,
          },
          environment: [
            { name: 'DB_HOST', value: 'localhost' },
            { name: 'MODE', value: 'ctf' },
          ],
          logConfiguration,
        },
        {
          name: 'db',
          image: 'public.ecr.aws/docker/library/postgres:16',
          essential: false,
          portMappings: [{ containerPort: 5432, protocol: 'tcp' }],
          environment: [],
          logConfiguration,
        },
      ],
      tags: [
        { key: 'taskenv:org', value: 'acme' },
        { key: 'taskenv:task', value: 'web-sqli' },
        { key: 'taskenv:version', value: '1.2.0' },
      ],
    });
  });

  it('registers linux/arm64 as ARM64 and a health command as a CMD health check', async () => {
    // Prepare
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskDefinitionArn: TASK_DEFINITION } });
    const { taskDefinitionArn: _ignored, ...unregistered } = version;
    const arm: typeof unregistered = {
      ...unregistered,
      manifest: {
        ...manifest,
        platform: 'linux/arm64',
        services: {
          cache: {
            image: 'public.ecr.aws/docker/library/redis:7',
            ports: [6379],
            health: { command: ['redis-cli', 'ping'], grace_sec: 15 },
            essential: true,
          },
        },
      },
    };

    // Act
    await runtime().register(arm);

    // Assess
    const input = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(input?.runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' });
    expect(input?.containerDefinitions?.[0]?.healthCheck).toEqual({
      command: ['CMD', 'redis-cli', 'ping'],
      interval: 10,
      timeout: 5,
      retries: 3,
      startPeriod: 15,
    });
  });

  it('quotes the probe URL for the shell, so a path cannot run commands', async () => {
    // Prepare
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskDefinitionArn: TASK_DEFINITION } });
    const { taskDefinitionArn: _ignored, ...unregistered } = version;
    const web = manifest.services.web;
    if (web === undefined) throw new Error('fixture has a web service');
    const sneaky: typeof unregistered = {
      ...unregistered,
      manifest: {
        ...manifest,
        services: { web: { ...web, health: { path: "/x';reboot;'", port: 80, grace_sec: 0 } } },
      },
    };

    // Act
    await runtime().register(sneaky);

    // Assess
    const check = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input
      .containerDefinitions?.[0]?.healthCheck;
    expect(check?.command?.[1]).toBe(
      `wget -q -O /dev/null 'http://127.0.0.1:80/x'\\'';reboot;'\\''' || curl -fsS -o /dev/null 'http://127.0.0.1:80/x'\\'';reboot;'\\''' || exit 1`,
    );
  });

  it('turns a ClientException of RegisterTaskDefinition into a RegistrationRefusedError with its message', async () => {
    // Prepare
    const refusal = new ClientException({
      message: 'Invalid setting for container web: the health check command must not be empty',
      $metadata: {},
    });
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(refusal);
    const { taskDefinitionArn: _ignored, ...unregistered } = version;

    // Act
    const error = await rejection(runtime().register(unregistered));

    // Assess
    expect(error).toBeInstanceOf(RegistrationRefusedError);
    expect((error as RegistrationRefusedError).reason).toBe(
      'Invalid setting for container web: the health check command must not be empty',
    );
  });

  it('fails loudly when ECS returns no task definition ARN', async () => {
    // Prepare
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({});

    // Act
    const error = await rejection(runtime().register(version));

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('acme/web-sqli@1.2.0');
  });
});

describe('EcsRuntime.launch', () => {
  it('runs the task with the environment id as client token and the env file in every container', async () => {
    // Prepare
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] });

    // Act
    const result = await runtime().launch(launchRequest);

    // Assess
    expect(result).toEqual({ taskArn: TASK_ARN });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(1);
    expect(ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      taskDefinition: TASK_DEFINITION,
      launchType: 'FARGATE',
      count: 1,
      clientToken: ENV_ID,
      startedBy: ENV_ID,
      group: 'taskenv:acme',
      enableExecuteCommand: true,
      tags: [
        { key: 'taskenv:org', value: 'acme' },
        { key: 'taskenv:workspace', value: 'research' },
        { key: 'taskenv:environment-id', value: ENV_ID },
      ],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-aaa', 'subnet-bbb'],
          securityGroups: ['sg-123'],
          assignPublicIp: 'ENABLED',
        },
      },
      overrides: {
        containerOverrides: [
          {
            name: 'web',
            environmentFiles: [{ type: 's3', value: ENV_FILE }],
            environment: [{ name: 'TASKENV_ENVIRONMENT_ID', value: ENV_ID }],
          },
          {
            name: 'db',
            environmentFiles: [{ type: 's3', value: ENV_FILE }],
            environment: [{ name: 'TASKENV_ENVIRONMENT_ID', value: ENV_ID }],
          },
        ],
      },
    });
  });

  it('keeps secret values and the execute token out of RunTask (they travel only in the env file)', async () => {
    // Prepare
    const secretValue = 'sk-live-4f9c2a7e1b3d5f60';
    const executeToken = 'tok_8d1e5c3a9b7f2e4d6c0a';
    s3Mock.on(PutObjectCommand).resolves({});
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    const envFiles = new S3EnvFileStore({ s3, bucket: 'taskenv-env-files', kmsKeyId: 'alias/taskenv' });
    const envFileRef = await envFiles.put(ENV_ID, {
      API_KEY: secretValue,
      TASKENV_EXECUTE_TOKEN: executeToken,
    });

    // Act
    await runtime().launch({ ...launchRequest, envFileRef });

    // Assess
    const runTaskInput = JSON.stringify(ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input);
    expect(runTaskInput).toContain(envFileRef);
    expect(runTaskInput).not.toContain(secretValue);
    expect(runTaskInput).not.toContain(executeToken);
    expect(runTaskInput).not.toContain('TASKENV_EXECUTE_TOKEN');
    const envFileBody = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body;
    expect(envFileBody).toContain(`API_KEY=${secretValue}\n`);
    expect(envFileBody).toContain(`TASKENV_EXECUTE_TOKEN=${executeToken}\n`);
  });

  it('asks for no public IP in private URL mode', async () => {
    // Prepare
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });

    // Act
    await runtime({ assignPublicIp: false }).launch(launchRequest);

    // Assess
    expect(
      ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input.networkConfiguration?.awsvpcConfiguration
        ?.assignPublicIp,
    ).toBe('DISABLED');
  });

  it('turns a permanent failures[] reason into a LaunchFailedError carrying the reason and detail', async () => {
    // Prepare
    ecsMock.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [{ arn: TASK_DEFINITION, reason: 'RESOURCE:MEMORY', detail: 'not enough memory' }],
    });

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(LaunchFailedError);
    expect((error as LaunchFailedError).reason).toBe('RESOURCE:MEMORY (not enough memory)');
  });

  it.each([
    ['Capacity is unavailable at this time. Please try again later or in a different availability zone'],
    ['RESOURCE:ENI'],
    ['AGENT'],
    ['ThrottlingException'],
  ])('turns the transient failures[] reason "%s" into a TransientLaunchError', async (reason) => {
    // Prepare
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: TASK_DEFINITION, reason }] });

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(TransientLaunchError);
    expect((error as TransientLaunchError).reason).toBe(reason);
  });

  it('joins several failures; one permanent reason among them makes the refusal permanent', async () => {
    // Prepare
    ecsMock.on(RunTaskCommand).resolves({
      failures: [{ reason: 'AGENT' }, { reason: 'RESOURCE:MEMORY', detail: 'not enough memory' }],
    });

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(LaunchFailedError);
    expect((error as LaunchFailedError).reason).toBe('AGENT; RESOURCE:MEMORY (not enough memory)');
  });

  it('turns a refusing SDK exception into a LaunchFailedError naming the exception', async () => {
    // Prepare
    const refusal = new InvalidParameterException({
      message: 'Image public.ecr.aws/nope:1 does not exist',
      $metadata: {},
    });
    ecsMock.on(RunTaskCommand).rejects(refusal);

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(LaunchFailedError);
    expect((error as LaunchFailedError).reason).toBe(
      'InvalidParameterException: Image public.ecr.aws/nope:1 does not exist',
    );
    expect((error as LaunchFailedError).cause).toBe(refusal);
  });

  it('trims the reason of a long exception message to 500 characters', async () => {
    // Prepare
    ecsMock
      .on(RunTaskCommand)
      .rejects(new PlatformUnknownException({ message: 'x'.repeat(2000), $metadata: {} }));

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(LaunchFailedError);
    expect((error as LaunchFailedError).reason).toHaveLength(500);
    expect((error as LaunchFailedError).reason.startsWith('PlatformUnknownException: xxx')).toBe(true);
  });

  it('turns a server-side fault into a TransientLaunchError, retried later with the same client token', async () => {
    // Prepare
    const fault = new ServerException({ message: 'Service unavailable', $metadata: {} });
    ecsMock.on(RunTaskCommand).rejects(fault);

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(TransientLaunchError);
    expect((error as TransientLaunchError).reason).toBe('ServerException: Service unavailable');
    expect((error as TransientLaunchError).cause).toBe(fault);
  });

  it('turns throttling into a TransientLaunchError', async () => {
    // Prepare
    ecsMock.on(RunTaskCommand).rejects(
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
    );

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(TransientLaunchError);
  });

  it('fails when ECS reports neither a task nor a failure', async () => {
    // Prepare
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [] });

    // Act
    const error = await rejection(runtime().launch(launchRequest));

    // Assess
    expect(error).toBeInstanceOf(LaunchFailedError);
  });

  it('refuses a version without a task definition without calling ECS', async () => {
    // Prepare
    const request = { ...launchRequest, task: { ...version, taskDefinitionArn: null } };

    // Act
    const error = await rejection(runtime().launch(request));

    // Assess
    expect(error).toBeInstanceOf(LaunchFailedError);
    expect(ecsMock.calls()).toHaveLength(0);
  });
});

describe('EcsRuntime.stop', () => {
  it('stops the task with the given reason', async () => {
    // Prepare
    ecsMock.on(StopTaskCommand).resolves({});

    // Act
    await runtime().stop(TASK_ARN, 'taskenv: deleted');

    // Assess
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      task: TASK_ARN,
      reason: 'taskenv: deleted',
    });
  });

  it('cuts the reason to the 255 characters ECS accepts', async () => {
    // Prepare
    ecsMock.on(StopTaskCommand).resolves({});

    // Act
    await runtime().stop(TASK_ARN, `taskenv: ${'r'.repeat(400)}`);

    // Assess
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input.reason).toHaveLength(255);
  });

  it('treats a task ECS no longer knows as stopped', async () => {
    // Prepare
    ecsMock
      .on(StopTaskCommand)
      .rejects(
        new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }),
      );

    // Act
    const result = runtime().stop(TASK_ARN, 'taskenv: deleted');

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('surfaces other errors, which would otherwise leak a running task', async () => {
    // Prepare
    ecsMock
      .on(StopTaskCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));

    // Act
    const error = await rejection(runtime().stop(TASK_ARN, 'taskenv: deleted'));

    // Assess
    expect(error).toBeInstanceOf(ClusterNotFoundException);
  });
});

describe('EcsRuntime.describe', () => {
  it('describes in batches of 100 and maps what taskenv reads, omitting unknown tasks', async () => {
    // Prepare
    const arns = Array.from({ length: 250 }, (_, i) => `${TASK_ARN}-${i}`);
    const unknown = `${TASK_ARN}-7`;
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks
        .filter((arn) => arn !== unknown)
        .map((arn) =>
          ecsTask(arn, {
            lastStatus: 'STOPPED',
            desiredStatus: 'STOPPED',
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
            containers: [{ name: 'web', exitCode: 137, reason: 'OutOfMemoryError' }, { name: 'db' }],
          }),
        ),
      failures: input.tasks.filter((arn) => arn === unknown).map((arn) => ({ arn, reason: 'MISSING' })),
    }));

    // Act
    const tasks = await runtime().describe(arns);

    // Assess
    const batches = ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
    expect(batches.map((b) => b.tasks?.length)).toEqual([100, 100, 50]);
    expect(batches.every((b) => b.cluster === CLUSTER)).toBe(true);
    expect(tasks).toHaveLength(249);
    expect(tasks.some((t) => t.taskArn === unknown)).toBe(false);
    expect(tasks[0]).toEqual({
      taskArn: `${TASK_ARN}-0`,
      startedBy: ENV_ID,
      group: 'taskenv:acme',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'web', exitCode: 137, reason: 'OutOfMemoryError', healthStatus: null },
        { name: 'db', exitCode: null, reason: null, healthStatus: null },
      ],
      healthStatus: null,
      version: null,
      network: { eniId: null, privateIp: null, bindings: [] },
    });
  });

  it('maps the version and the network of a running task as its RUNNING event reads them', async () => {
    // Prepare: the attachments and containers DescribeTasks reports for an awsvpc task.
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        ecsTask(TASK_ARN, {
          version: 4,
          attachments: [
            { id: 'sc-1', type: 'Service Connect', status: 'ATTACHED', details: [] },
            {
              id: 'eni-att',
              type: 'ElasticNetworkInterface',
              status: 'ATTACHED',
              details: [
                { name: 'subnetId', value: 'subnet-aaa' },
                { name: 'networkInterfaceId', value: 'eni-0123' },
                { name: 'privateIPv4Address', value: '10.1.2.3' },
              ],
            },
          ],
          containers: [
            {
              name: 'web',
              networkInterfaces: [{ attachmentId: 'eni-att', privateIpv4Address: '10.1.2.3' }],
              networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 80, protocol: 'tcp' }],
            },
          ],
        }),
      ],
    });

    // Act
    const [task] = await runtime().describe([TASK_ARN]);

    // Assess
    expect(task).toMatchObject({
      version: 4,
      network: {
        eniId: 'eni-0123',
        privateIp: '10.1.2.3',
        bindings: [{ containerName: 'web', containerPort: 80, hostPort: 80, bindIp: '0.0.0.0' }],
      },
    });
  });

  it('maps the health status of the task and of each container', async () => {
    // Prepare
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        ecsTask(TASK_ARN, {
          healthStatus: 'UNHEALTHY',
          containers: [
            { name: 'web', healthStatus: 'UNHEALTHY' },
            { name: 'db', healthStatus: 'HEALTHY' },
          ],
        }),
      ],
    });

    // Act
    const [task] = await runtime().describe([TASK_ARN]);

    // Assess
    expect(task?.healthStatus).toBe('UNHEALTHY');
    expect(task?.containers.map((c) => [c.name, c.healthStatus])).toEqual([
      ['web', 'UNHEALTHY'],
      ['db', 'HEALTHY'],
    ]);
  });

  it('makes no call for no ARNs', async () => {
    // Act
    const tasks = await runtime().describe([]);

    // Assess
    expect(tasks).toEqual([]);
    expect(ecsMock.calls()).toHaveLength(0);
  });
});

describe('EcsRuntime.findByEnvironment', () => {
  it('lists by startedBy alone (the API demands it be the only filter) and prefers the running task', async () => {
    // Prepare
    const stopped = `${TASK_ARN}-old`;
    ecsMock
      .on(ListTasksCommand, { startedBy: ENV_ID, nextToken: undefined })
      .resolves({ taskArns: [stopped], nextToken: 'page-2' });
    ecsMock
      .on(ListTasksCommand, { startedBy: ENV_ID, nextToken: 'page-2' })
      .resolves({ taskArns: [TASK_ARN] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [ecsTask(stopped, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }), ecsTask(TASK_ARN)],
    });

    // Act
    const task = await runtime().findByEnvironment(ENV_ID);

    // Assess
    expect(task?.taskArn).toBe(TASK_ARN);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, startedBy: ENV_ID },
      { cluster: CLUSTER, startedBy: ENV_ID, nextToken: 'page-2' },
    ]);
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, tasks: [stopped, TASK_ARN] },
    ]);
  });

  it('falls back to a stopped task when none runs', async () => {
    // Prepare
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({ tasks: [ecsTask(TASK_ARN, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })] });

    // Act
    const task = await runtime().findByEnvironment(ENV_ID);

    // Assess
    expect(task?.lastStatus).toBe('STOPPED');
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, startedBy: ENV_ID },
    ]);
  });

  it('returns null when ECS has no task for the environment', async () => {
    // Prepare
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });

    // Act
    const task = await runtime().findByEnvironment(ENV_ID);

    // Assess
    expect(task).toBeNull();
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });
});

describe('EcsRuntime.listRunning', () => {
  it('pages through the running tasks of the cluster and keeps only those taskenv started', async () => {
    // Prepare
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: ['arn:t1', 'arn:t2'], nextToken: 'page-2' })
      .resolvesOnce({ taskArns: ['arn:t3'] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        ecsTask('arn:t1'),
        ecsTask('arn:t2', { group: 'service:billing', startedBy: 'ecs-svc/123' }),
        { taskArn: 'arn:t3', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
      ],
    });

    // Act
    const tasks = await runtime().listRunning();

    // Assess
    expect(tasks.map((t) => t.taskArn)).toEqual(['arn:t1']);
    expect(ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, desiredStatus: 'RUNNING' },
      { cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken: 'page-2' },
    ]);
    expect(ecsMock.commandCalls(DescribeTasksCommand)[0]?.args[0].input.tasks).toEqual([
      'arn:t1',
      'arn:t2',
      'arn:t3',
    ]);
  });
});
