/**
 * The first invocation of each function in the cold-start figure: a real-shaped event (an API
 * Gateway proxy event with the authorizer's principal, the REQUEST authorizer's event with a
 * seeded API key, an EventBridge ECS event, an SQS message, a DynamoDB stream record, a
 * scheduled event) and the records it needs, seeded in the bench's DynamoDB Local. Each call of
 * `fixture()` makes fresh records where the invocation changes them (so every sample, of the
 * function or of its baseline, meets the same state), all stamped with one fixed clock (so
 * replayed conditions that name a record's timestamps hold on every copy).
 *
 * Over 400 lines because it is a table: one entry per function, each with its event's shape.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoExecutionStore } from '#adapters/aws/dynamodb/execution-store';
import { environmentKey } from '#adapters/aws/dynamodb/keys';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import { ecsTaskStateChangeEventSchema } from '#domain/ecs-event';
import type { EnvironmentRecord } from '#domain/environment';
import { runningRecord } from '#domain/execution';
import type { Principal } from '#domain/principal';
import { publishableExample, readExamples } from '#local/examples';
import { sqsRecord } from '#local/sqs-record';
import type { Clock } from '#ports/clock';
import { ttlRemovalRecord } from '#test/support/stream-records';
import { applyTaskEvent } from '#use-cases/apply-task-event';
import { createEnvironment } from '#use-cases/create-environment';
import { publishTask } from '#use-cases/tasks';
import { benchCreateDeps } from './create-deps.ts';
import { InstantRuntime, taskArnFor } from './fakes.ts';
import { BENCH_ORG, BENCH_TASK, BENCH_WORKSPACE, type World } from './world.ts';

export interface Fixture {
  /** The event the function's handler is invoked with. */
  readonly event: unknown;
  /**
   * The values that name this fixture's records (environment id, task ARN …), in a fixed order:
   * the baseline's recorded calls get the recording fixture's values swapped for these.
   */
  readonly ids: readonly string[];
}

export interface Scenario {
  /** What the first invocation is, for the report. */
  readonly description: string;
  /** Functions whose invocation would act on every record in the table get an empty one. */
  readonly emptyTable?: boolean;
  fixture(): Promise<Fixture>;
  /** Null when the handler's answer is the successful one being timed, else why not. */
  check(result: unknown): string | null;
}

const WS_PATH = `/api/v1/org/{org}/ws/{workspace}`;

const statusIs =
  (expected: number) =>
  (result: unknown): string | null => {
    const status = (result as { statusCode?: unknown } | null)?.statusCode;
    return status === expected ? null : `expected status ${expected}, got ${JSON.stringify(result)}`;
  };

const principalContext = (principal: Principal) => ({
  keyId: principal.keyId,
  org: principal.org,
  role: principal.role,
  workspaces: JSON.stringify(principal.workspaces),
  principalId: principal.keyId,
});

/** An API Gateway REST proxy event on the `prod` stage, as the authorizer's context leaves it. */
const proxyEvent = (input: {
  readonly method: string;
  readonly resource: string;
  readonly pathParameters: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly principal: Principal | null;
}): unknown => {
  const path = input.resource.replace(
    /\{([a-z_]+)\}/g,
    (_, name: string) => input.pathParameters[name] ?? '',
  );
  const headers: Record<string, string> = {
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'taskenv-bench',
    Accept: 'application/json',
    'X-Forwarded-For': '203.0.113.1',
    ...(input.principal === null ? {} : { Authorization: 'Bearer (checked by the authorizer)' }),
    ...(input.body === undefined ? {} : { 'Content-Type': 'application/json' }),
  };
  return {
    resource: input.resource,
    path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters:
      input.query === undefined
        ? null
        : Object.fromEntries(Object.entries(input.query).map(([k, v]) => [k, [v]])),
    pathParameters: Object.keys(input.pathParameters).length === 0 ? null : input.pathParameters,
    stageVariables: null,
    body: input.body === undefined ? null : JSON.stringify(input.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      ...(input.principal === null ? {} : { authorizer: principalContext(input.principal) }),
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      identity: { sourceIp: '203.0.113.1', userAgent: 'taskenv-bench' },
      path: `/prod${path}`,
      stage: 'prod',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'abc',
      resourcePath: input.resource,
    },
  };
};

/** A Fargate "ECS Task State Change" as EventBridge delivers it (awsvpc: the ENI in `attachments`). */
const fargateEvent = (record: EnvironmentRecord, lastStatus: 'PROVISIONING' | 'RUNNING', version: number) => {
  const taskArn = record.taskArn ?? taskArnFor(record.id);
  const at = new Date().toISOString();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '000000000000',
    time: at,
    region: 'us-east-1',
    resources: [taskArn],
    detail: {
      attachments: [
        {
          id: randomUUID(),
          type: 'eni',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-aaa' },
            { name: 'networkInterfaceId', value: 'eni-0bench' },
            { name: 'privateIPv4Address', value: '10.0.0.10' },
          ],
        },
      ],
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/taskenv',
      containers: [
        {
          name: 'web',
          lastStatus: lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING',
          ...(lastStatus === 'RUNNING' ? { healthStatus: 'HEALTHY' } : {}),
          taskArn,
          networkInterfaces: [{ attachmentId: 'a', privateIpv4Address: '10.0.0.10' }],
        },
      ],
      createdAt: record.createdAt,
      desiredStatus: 'RUNNING',
      group: `taskenv:${BENCH_ORG}`,
      lastStatus,
      launchType: 'FARGATE',
      startedBy: record.id,
      taskArn,
      updatedAt: at,
      version,
      ...(lastStatus === 'RUNNING' ? { startedAt: at, healthStatus: 'HEALTHY' } : {}),
    },
  };
};

/** The version of the bench task the ECS side runs: registered with a task definition, as `task push` does on AWS. */
const ECS_TASK_VERSION = '1.0.1';

class RegisteringRuntime extends InstantRuntime {
  override async register(): Promise<{ taskDefinitionArn: string | null }> {
    return {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/taskenv-bench-hello-http:1',
    };
  }
}

export const coldStartScenarios = async (
  world: World,
  projectRoot: string,
): Promise<Readonly<Record<string, Scenario>>> => {
  const admin: Principal = { keyId: 'bench-admin', org: BENCH_ORG, role: 'admin', workspaces: ['*'] };
  const member: Principal = { keyId: 'bench-member', org: BENCH_ORG, role: 'member', workspaces: ['*'] };
  const executions = new DynamoExecutionStore({ client: world.client, tableName: world.tableName });
  // Every seeded record carries the same timestamps.
  const fixedNow = new Date();
  const clock: Clock = { now: () => fixedNow };
  const createDeps = benchCreateDeps(world, { clock });

  /** A hello-http environment made by the create use case, moved to `provisioning` by its event. */
  const provisioning = async (): Promise<EnvironmentRecord> => {
    const { record } = await createEnvironment(
      { principal: admin, org: BENCH_ORG, workspace: BENCH_WORKSPACE, request: { task_ref: BENCH_TASK } },
      createDeps,
    );
    const applied = await applyTaskEvent(
      ecsTaskStateChangeEventSchema.parse(fargateEvent(record, 'PROVISIONING', 1)),
      {
        store: world.stores.store,
        addresses: new LoopbackAddressResolver(),
        publisher: createDeps.publisher,
        envFiles: createDeps.envFiles,
        checks: createDeps.checks,
        clock,
      },
    );
    return applied.record ?? record;
  };
  let shared: EnvironmentRecord | null = null;
  const sharedEnvironment = async () => {
    shared ??= await provisioning();
    return shared;
  };
  const ws = { org: BENCH_ORG, workspace: BENCH_WORKSPACE };

  // The world's hello-http was published on a runtime without task definitions; the deployed
  // functions launch with ECS, which needs one.
  const example = (await readExamples(join(projectRoot, 'examples', 'tasks'))).examples.find(
    (e) => e.source.name === BENCH_TASK,
  );
  if (example === undefined) throw new Error(`no valid examples/tasks/${BENCH_TASK}`);
  const manifest = publishableExample(example, BENCH_ORG) as Record<string, unknown>;
  await publishTask(
    { principal: admin, org: BENCH_ORG, manifest: { ...manifest, version: ECS_TASK_VERSION } },
    {
      tasks: world.stores.tasks,
      runtime: new RegisteringRuntime(),
      clock,
    },
  );

  return {
    admin: {
      description: 'GET /org/{org}/keys (listKeys)',
      fixture: async () => ({
        event: proxyEvent({
          method: 'GET',
          resource: '/api/v1/org/{org}/keys',
          pathParameters: { org: BENCH_ORG },
          principal: admin,
        }),
        ids: [],
      }),
      check: statusIs(200),
    },
    authorizer: {
      description: 'REQUEST authorizer event with a valid API key',
      fixture: async () => ({
        event: {
          type: 'REQUEST',
          methodArn: 'arn:aws:execute-api:us-east-1:000000000000:abc123/prod/GET/api/v1/org/bench/tasks',
          resource: '/api/v1/org/{org}/tasks',
          path: '/api/v1/org/bench/tasks',
          httpMethod: 'GET',
          headers: {
            Authorization: `Bearer ${world.apiKey}`,
            Host: 'abc123.execute-api.us-east-1.amazonaws.com',
          },
          pathParameters: { org: BENCH_ORG },
          queryStringParameters: null,
          requestContext: { stage: 'prod', requestId: randomUUID() },
        },
        ids: [],
      }),
      check: (result) =>
        (result as { policyDocument?: { Statement?: { Effect?: string }[] } } | null)?.policyDocument
          ?.Statement?.[0]?.Effect === 'Allow'
          ? null
          : `expected an Allow policy, got ${JSON.stringify(result)}`,
    },
    'environments-create': {
      description: 'POST …/environments {"task_ref":"hello-http"} (no Idempotency-Key)',
      fixture: async () => ({
        event: proxyEvent({
          method: 'POST',
          resource: `${WS_PATH}/environments`,
          pathParameters: ws,
          body: { task_ref: BENCH_TASK },
          principal: member,
        }),
        ids: [],
      }),
      check: statusIs(201),
    },
    'environments-exec': {
      description: 'GET …/environments/{id}/logs',
      fixture: async () => {
        const env = await sharedEnvironment();
        return {
          event: proxyEvent({
            method: 'GET',
            resource: `${WS_PATH}/environments/{id}/logs`,
            pathParameters: { ...ws, id: env.id },
            principal: member,
          }),
          ids: [env.id],
        };
      },
      check: statusIs(200),
    },
    'environments-manage': {
      description: 'POST …/environments/{id}/keepalive {"extend_seconds":600}',
      fixture: async () => {
        const env = await provisioning();
        return {
          event: proxyEvent({
            method: 'POST',
            resource: `${WS_PATH}/environments/{id}/keepalive`,
            pathParameters: { ...ws, id: env.id },
            body: { extend_seconds: 600 },
            principal: member,
          }),
          ids: [env.id],
        };
      },
      check: statusIs(200),
    },
    'environments-read': {
      description: 'GET …/environments?limit=50',
      fixture: async () => ({
        event: proxyEvent({
          method: 'GET',
          resource: `${WS_PATH}/environments`,
          pathParameters: ws,
          query: { limit: '50' },
          principal: member,
        }),
        ids: [],
      }),
      check: statusIs(200),
    },
    'exec-worker': {
      description: 'an accepted execution; ECS ExecuteCommand answers "agent not connected"',
      fixture: async () => {
        const env = await sharedEnvironment();
        const job = {
          environmentId: env.id,
          executionId: randomUUID(),
          taskArn: env.taskArn ?? taskArnFor(env.id),
          service: 'web',
          command: 'true',
          timeoutSec: 30,
          env: {},
          workdir: null,
          purpose: 'command' as const,
          startedAt: fixedNow.toISOString(),
        };
        await executions.start(runningRecord(job), { maxRunning: 1_000_000, now: fixedNow });
        return { event: job, ids: [job.executionId, env.id] };
      },
      check: (result) =>
        (result as { state?: unknown } | null)?.state === 'completed'
          ? null
          : `expected a completed execution, got ${JSON.stringify(result)}`,
    },
    'lifecycle-checks': {
      description: 'SQS: a readiness check of a provisioning environment (ECS DescribeTasks)',
      fixture: async () => {
        const env = await sharedEnvironment();
        const check = {
          kind: 'readiness',
          environmentId: env.id,
          taskArn: env.taskArn,
          runningAt: fixedNow.toISOString(),
          check: 1,
        };
        return {
          event: {
            Records: [
              sqsRecord({
                messageId: randomUUID(),
                body: check,
                sender: 'bench',
                queueArn: 'arn:aws:sqs:us-east-1:000000000000:taskenv-lifecycle',
                region: 'us-east-1',
              }),
            ],
          },
          ids: [env.id],
        };
      },
      check: (result) =>
        (result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures?.length === 0
          ? null
          : `expected no batch item failures, got ${JSON.stringify(result)}`,
    },
    'list-counters': {
      description: 'DynamoDB stream: one TTL removal of a finished environment',
      fixture: async () => {
        const id = randomUUID();
        const oldImage = asStreamImage({
          ...environmentKey(id),
          id,
          org: BENCH_ORG,
          workspace: BENCH_WORKSPACE,
          projectId: 'default',
          state: 'torn_down',
        });
        return {
          event: {
            Records: [
              ttlRemovalRecord({
                keys: asStreamImage({ ...environmentKey(id) }),
                oldImage,
                streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/taskenv/stream/bench',
              }),
            ],
          },
          ids: [id],
        };
      },
      check: () => null,
    },
    meta: {
      description: 'GET /healthz (probes the table)',
      fixture: async () => ({
        event: proxyEvent({ method: 'GET', resource: '/healthz', pathParameters: {}, principal: null }),
        ids: [],
      }),
      check: statusIs(200),
    },
    'pool-keeper': {
      description: 'scheduled event, no pools',
      emptyTable: true,
      fixture: async () => ({ event: scheduledEvent(), ids: [] }),
      check: () => null,
    },
    reconciler: {
      description: 'scheduled event, nothing to repair',
      emptyTable: true,
      fixture: async () => ({ event: scheduledEvent(), ids: [] }),
      check: () => null,
    },
    secrets: {
      description: 'GET …/secrets',
      fixture: async () => ({
        event: proxyEvent({
          method: 'GET',
          resource: `${WS_PATH}/secrets`,
          pathParameters: ws,
          principal: member,
        }),
        ids: [],
      }),
      check: statusIs(200),
    },
    'task-events': {
      description:
        'EventBridge: RUNNING, HEALTHY of a provisioning Fargate task (EC2 lookup, instruction rendered)',
      fixture: async () => {
        const env = await provisioning();
        const taskArn = env.taskArn ?? taskArnFor(env.id);
        return { event: fargateEvent(env, 'RUNNING', 2), ids: [taskArn, env.id] };
      },
      check: () => null,
    },
    tasks: {
      description: 'GET /org/{org}/tasks/hello-http (getTask)',
      fixture: async () => ({
        event: proxyEvent({
          method: 'GET',
          resource: '/api/v1/org/{org}/tasks/{name}',
          pathParameters: { org: BENCH_ORG, name: BENCH_TASK },
          principal: member,
        }),
        ids: [],
      }),
      check: statusIs(200),
    },
  };
};

/** String attributes as a stream record carries them (`{ "S": … }`). */
const asStreamImage = (item: Record<string, string>): Record<string, { S: string }> =>
  Object.fromEntries(Object.entries(item).map(([k, v]) => [k, { S: v }]));

const scheduledEvent = () => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:000000000000:rule/taskenv-schedule'],
  detail: {},
});
