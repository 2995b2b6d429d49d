/**
 * Every production entry, as Lambda runs it: its bundle (the construct's esbuild options) in a
 * fresh Node process, configured only by the variables its declaration names
 * (`shared/wiring/functions.ts`), invoked with a real-shaped event (API Gateway proxy and
 * REQUEST-authorizer events, the ECS task state change from EventBridge, Scheduler, SQS and
 * DynamoDB stream events). DynamoDB is DynamoDB Local; the services without an emulator answer
 * from `test/support/aws-stub.ts`, which records what each function sent. One story, in order:
 * a key, a task, an environment through ready, execute, pools, teardown, and TTL counting.
 * One file on purpose (past 400 lines): the steps share the one environment and build the
 * bundles once.
 */
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { defaultOrgLimits } from '#domain/org';
import { POOL_STARTED_BY_PREFIX } from '#domain/pool';
import { generateApiKey } from '#domain/principal';
import { sqsRecord as recordOf } from '#local/sqs-record';
import { type FunctionName, functionNames, matchRoute } from '#shared/routes';
import { configSchema } from '#shared/wiring/functions';
import { type AwsStub, startAwsStub } from '../support/aws-stub.ts';
import { type Bundles, buildBundles } from '../support/bundles.ts';
import { ecsEvent } from '../support/ecs-events.ts';
import { uniqueName } from '../support/factories.ts';
import { ttlRemovalRecord } from '../support/stream-records.ts';

const TABLE = process.env.TABLE_NAME ?? 'taskenv-test';
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/taskenv-smoke';
const WORKSPACE = 'default';

let stub: AwsStub;
let bundles: Bundles;
const org = uniqueName('smoke');
const apiKey = generateApiKey();
const raw = new DynamoDBClient({});
const documents = DynamoDBDocumentClient.from(raw);

/** The value a deployment sets for each variable (the CDK grant of the same binding sets the real ones). */
const deployedValue = (name: string): string => {
  const values: Record<string, string> = {
    TABLE_NAME: TABLE,
    IDEMPOTENCY_TABLE_NAME: process.env.IDEMPOTENCY_TABLE_NAME ?? 'taskenv-test-idempotency',
    CLUSTER_ARN,
    SUBNETS: 'subnet-0a,subnet-0b',
    SECURITY_GROUPS: 'sg-0a',
    ASSIGN_PUBLIC_IP: 'false',
    EXECUTION_ROLE_ARN: 'arn:aws:iam::000000000000:role/taskenv-execution',
    TASK_ROLE_ARN: 'arn:aws:iam::000000000000:role/taskenv-task',
    LOG_GROUP_NAME: 'taskenv-tasks',
    ENV_FILE_BUCKET: 'taskenv-env-files',
    ENV_FILE_KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/env-files',
    SCHEDULER_GROUP: 'taskenv-expiry',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/taskenv-expiry',
    SECRETS_PREFIX: 'taskenv',
    EVENT_BUS_NAME: 'taskenv-bus',
    EXECUTE_TOKEN_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/execute-tokens',
    EXEC_WORKER_FUNCTION_NAME: 'taskenv-exec-worker',
    EXEC_SYNC_WINDOW_MS: '300',
    // Private mode: the address is the ENI's private IP in the event (no EC2 call).
    URL_MODE: 'private',
    LIFECYCLE_QUEUE_URL: `${stub.url}/000000000000/taskenv-checks`,
    TASKENV_VERSION: '9.8.7',
    AWS_REGION: 'us-east-1',
  };
  const value = values[name];
  if (value === undefined) throw new Error(`No deployed value for ${name}`);
  return value;
};

/** What Lambda gives the function: its declared variables (required and optional alike), the SDK endpoints. */
const environmentOf = (name: FunctionName): Record<string, string> => ({
  ...Object.fromEntries(
    Object.keys(configSchema(name).def.shape)
      .filter((key) => key !== 'MIN_CLIENT_VERSION' && key !== 'SECRETS_KMS_KEY_ID')
      .map((key) => [key, deployedValue(key)]),
  ),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_ENDPOINT_URL: stub.url,
  AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_METRICS_DISABLED: 'true',
  NODE_OPTIONS: '--enable-source-maps',
});

const invoke = (name: FunctionName, event: unknown) => bundles.invoke(name, event, environmentOf(name));

let authorizerContext: Record<string, unknown> = {};

interface ProxyResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

/** An API Gateway proxy event for `method path`, as the stage sends it after the authorizer. */
const request = async (
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> => {
  const match = matchRoute(method, path);
  if (match === null) throw new Error(`No route for ${method} ${path}`);
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${apiKey.key}`,
    ...options.headers,
  };
  const event = {
    resource: match.route.path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'smoke',
      authorizer: match.route.auth ? authorizerContext : undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp: '203.0.113.7', userAgent: 'taskenv-smoke' },
      path: `/v1${path}`,
      stage: 'v1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'smoke',
      resourcePath: match.route.path,
    },
  };
  const result = (await invoke(match.route.function, event)) as ProxyResult;
  return {
    status: result.statusCode,
    body: result.body === '' ? {} : (JSON.parse(result.body) as Record<string, unknown>),
    text: result.body,
  };
};

const scheduledEvent = (source: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source,
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: {},
});

const item = async (pk: string, sk: string) =>
  (await documents.send(new GetCommand({ TableName: TABLE, Key: { pk, sk }, ConsistentRead: true }))).Item;

const ws = `/api/v1/org/${org}/ws/${WORKSPACE}`;
const manifest = {
  name: 'smoke',
  version: '1.0.0',
  description: 'The smoke test task',
  instruction: 'Reach {{ web_url }} in {{ environment_id }}.',
  services: { web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] } },
  timeout: { default_sec: 600 },
};

beforeAll(async () => {
  stub = await startAwsStub();
  bundles = await buildBundles(functionNames);
  const access = new DynamoAccessStore({ client: documents, tableName: TABLE });
  await access.putOrg({ org, ...defaultOrgLimits, createdAt: new Date().toISOString() });
  await access.putApiKey({
    keyHash: apiKey.keyHash,
    keyId: apiKey.keyId,
    org,
    role: 'admin',
    workspaces: ['*'],
    createdAt: new Date().toISOString(),
    revoked: false,
  });
}, 300_000);

afterAll(async () => {
  await stub?.close();
  await bundles?.remove();
});

describe.sequential('every production entry, bundled, on DynamoDB Local', () => {
  let environmentId = '';
  let executeToken = '';
  let taskArn = '';

  it('authorizer: the seeded API key becomes an Allow with its principal', async () => {
    // Act
    const result = (await invoke('authorizer', {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:us-east-1:000000000000:smoke/v1/POST/api/v1/org/${org}/tasks`,
      resource: '/api/v1/org/{org}/tasks',
      path: `/api/v1/org/${org}/tasks`,
      httpMethod: 'POST',
      headers: { Authorization: `Bearer ${apiKey.key}` },
      multiValueHeaders: null,
      pathParameters: { org },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: { accountId: '000000000000', apiId: 'smoke', stage: 'v1', requestId: randomUUID() },
    })) as { policyDocument: { Statement: { Effect: string }[] }; context: Record<string, unknown> };

    // Assess
    expect(result.policyDocument.Statement.map((s) => s.Effect)).toEqual(['Allow']);
    expect(JSON.stringify(result.context)).toContain(org);
    expect(JSON.stringify(result)).not.toContain(apiKey.key);
    authorizerContext = result.context;
  });

  it('meta: /healthz reports the deployed version and a DynamoDB that answers', async () => {
    const health = await request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.text).toContain('9.8.7');
  });

  it('tasks: POST publishes the version (a task definition registered, the item stored)', async () => {
    const published = await request('POST', `/api/v1/org/${org}/tasks`, { body: manifest });
    expect(published.status).toBe(201);
    const [register] = stub.of('ECS.RegisterTaskDefinition');
    expect(register?.body).toMatchObject({ family: `taskenv-${org}-smoke` });
    const versions = await documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `TASK#${org}#smoke` },
      }),
    );
    expect(versions.Items).toHaveLength(1);
  });

  it('environments-create: POST launches on ECS with the environment id as client token', async () => {
    const created = await request('POST', `${ws}/environments`, { body: { task_ref: `${org}/smoke@1.0.0` } });
    expect(created.status).toBe(201);
    environmentId = String(created.body.id);
    executeToken = String(created.body.execute_token);
    expect(created.body.state).toBe('building');

    const run = stub
      .of('ECS.RunTask')
      .find((c) => (c.body as { startedBy?: string }).startedBy === environmentId);
    expect(run?.body).toMatchObject({ clientToken: environmentId, cluster: CLUSTER_ARN });
    taskArn = String((run?.response as { tasks: { taskArn: string }[] } | undefined)?.tasks[0]?.taskArn);
    // The env file went to S3 and the expiry to Scheduler; neither request carries the token.
    expect(stub.of('S3.PutObject').some((c) => c.path.includes(environmentId))).toBe(true);
    expect(stub.of('Scheduler.CreateSchedule').some((c) => c.path.includes(environmentId))).toBe(true);
    expect(JSON.stringify(stub.of('Scheduler.CreateSchedule'))).not.toContain(executeToken);
    // The record waits in `building` for the task's first event (which also brings its ARN).
    expect((await item(`ENV#${environmentId}`, 'ENV'))?.state).toBe('building');
  });

  it('task-events: the ECS RUNNING event makes the environment ready with its private URL', async () => {
    const event = ecsEvent('running-fargate', environmentId, { taskArn, clusterArn: CLUSTER_ARN });
    await invoke('task-events', event);

    const record = await item(`ENV#${environmentId}`, 'ENV');
    expect(record?.state).toBe('ready');
    expect(JSON.stringify(record?.serviceUrls ?? record?.service_urls)).toContain('10.0.0.139');
    expect(stub.of('EventBridge.PutEvents').some((c) => JSON.stringify(c.body).includes(environmentId))).toBe(
      true,
    );
  });

  it('environments-read: GET answers the ready environment', async () => {
    const read = await request('GET', `${ws}/environments/${environmentId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: environmentId, state: 'ready' });
    expect(read.body.execute_token).toBeNull();
  });

  let executionId = '';
  it('environments-exec: POST execute records the execution and hands it to the exec-worker', async () => {
    const started = await request('POST', `${ws}/environments/${environmentId}/execute`, {
      body: { command: 'true' },
      headers: { 'x-environment-token': executeToken },
    });
    expect(started.status).toBe(202);
    executionId = String(started.body.id ?? started.body.execution_id);
    const [dispatch] = stub.of('Lambda.Invoke');
    expect(dispatch?.path).toContain('taskenv-exec-worker');
    expect(JSON.stringify(dispatch?.body)).toContain(executionId);
    expect(stub.of('KMS.VerifyMac')).toHaveLength(1);
  });

  it('exec-worker: the dispatched job ends its execution (ECS Exec refuses: no agent here)', async () => {
    const [dispatch] = stub.of('Lambda.Invoke');
    await invoke('exec-worker', dispatch?.body);

    expect(stub.of('ECS.ExecuteCommand')[0]?.body).toMatchObject({ cluster: CLUSTER_ARN, task: taskArn });
    // The item is finished; reading it answers the platform's refusal as a 502 in the envelope.
    expect((await item(`ENV#${environmentId}`, `EXEC#${executionId}`))?.state).toBe('completed');
    const execution = await request('GET', `${ws}/environments/${environmentId}/executions/${executionId}`);
    expect(execution.status).toBe(502);
    expect(execution.body).toMatchObject({ type: 'bad_gateway_error' });
  });

  it('lifecycle-checks: a malformed message is reported for redelivery, a valid check is consumed', async () => {
    const result = await invoke('lifecycle-checks', {
      Records: [
        sqsRecord('good', {
          kind: 'readiness',
          environmentId,
          taskArn,
          runningAt: new Date().toISOString(),
          check: 1,
        }),
        sqsRecord('bad', { kind: 'nonsense' }),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });

  it('secrets: PUT stores the value in Secrets Manager and only its metadata in DynamoDB', async () => {
    const put = await request('PUT', `${ws}/secrets/api-token`, {
      body: { value: 'sm0ke-s3cret', env_var: 'API_TOKEN' },
    });
    expect(put.status).toBeLessThan(300);
    expect(put.text).not.toContain('sm0ke-s3cret');
    const [create] = stub.of('SecretsManager.CreateSecret');
    expect(create?.body).toMatchObject({ SecretString: 'sm0ke-s3cret' });
    expect(String((create?.body as { Name?: string } | undefined)?.Name)).toMatch(/^taskenv\//);
    const metadata = await item(`WS#${org}#${WORKSPACE}`, 'SECRET#api-token');
    expect(metadata).toBeDefined();
    expect(JSON.stringify(metadata)).not.toContain('sm0ke-s3cret');
  });

  it('admin: PUT pool stores it and nudges the keeper on the bus', async () => {
    const put = await request('PUT', `/api/v1/org/${org}/pools/smoke@1.0.0`, { body: { size: 1 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ size: 1 });
    expect(
      stub.of('EventBridge.PutEvents').some((c) => JSON.stringify(c.body).includes('Pool Keeper Nudge')),
    ).toBe(true);
  });

  it('pool-keeper: the scheduled run starts the pool task and records its slot', async () => {
    await invoke('pool-keeper', scheduledEvent('aws.scheduler'));
    const poolRuns = stub
      .of('ECS.RunTask')
      .filter((c) => String((c.body as { startedBy?: string }).startedBy).startsWith(POOL_STARTED_BY_PREFIX));
    expect(poolRuns).toHaveLength(1);
    const slots = await documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `POOL#${org}#smoke@1.0.0` },
      }),
    );
    expect(slots.Items).toHaveLength(1);
  });

  it('environments-manage: DELETE stops the task; its STOPPED event tears the environment down', async () => {
    const deleted = await request('DELETE', `${ws}/environments/${environmentId}`);
    expect(deleted.status).toBeLessThan(300);
    expect(stub.of('ECS.StopTask').map((c) => (c.body as { task?: string }).task)).toContain(taskArn);

    await invoke(
      'task-events',
      ecsEvent('running-fargate', environmentId, {
        taskArn,
        clusterArn: CLUSTER_ARN,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: 'taskenv: deleted',
        version: 9,
      }),
    );
    expect((await item(`ENV#${environmentId}`, 'ENV'))?.state).toBe('torn_down');
  });

  it('list-counters: the TTL removal of the finished environment is counted out of its state', async () => {
    // Prepare: what TTL does (the item leaves), and the stream record it writes
    const key = { pk: { S: `ENV#${environmentId}` }, sk: { S: 'ENV' } };
    const old = (await raw.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true })))
      .Item;
    const before = await item(`COUNT#${org}#${WORKSPACE}`, 'WS');
    await raw.send(new DeleteItemCommand({ TableName: TABLE, Key: key }));
    const record = ttlRemovalRecord({
      keys: key,
      oldImage: old,
      streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/taskenv-test/stream/2026-01-01T00:00:00.000',
    });

    // Act: delivered twice, counted once
    const first = await invoke('list-counters', { Records: [record] });
    const again = await invoke('list-counters', { Records: [record] });

    // Assess
    expect(first).toEqual({ counted: 1 });
    expect(again).toEqual({ counted: 0 });
    const after = await item(`COUNT#${org}#${WORKSPACE}`, 'WS');
    expect(Number(before?.torn_down) - Number(after?.torn_down)).toBe(1);
  });

  it('reconciler: the scheduled run lists our cluster’s tasks and finishes without errors', async () => {
    const result = (await invoke('reconciler', scheduledEvent('aws.scheduler'))) as Record<string, number>;
    expect(result.errors).toBe(0);
    expect(
      stub.of('ECS.ListTasks').some((c) => (c.body as { cluster?: string }).cluster === CLUSTER_ARN),
    ).toBe(true);
  });
});

const sqsRecord = (messageId: string, body: unknown) =>
  recordOf({
    messageId,
    body,
    sender: '000000000000',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:taskenv-checks',
    region: 'us-east-1',
  });
