/**
 * The deployed API's moving parts, minus AWS: the local gateway (route table, authorizer,
 * proxy events) in front of the same handler factories the Lambda entries build, with the real
 * DynamoDB adapters on DynamoDB Local and the real AWS adapters over SDK clients mocked with
 * aws-sdk-client-mock (so tests assert the exact requests taskenv sends).
 */
import { createHmac } from 'node:crypto';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import {
  addressResolver,
  dynamoStores,
  ecsRuntime,
  eventBus,
  kmsExecuteTokens,
  lifecycleQueue,
  poolNudge,
  s3EnvFiles,
  schedulerExpiry,
  secretValues,
} from '#adapters/aws/wiring';
import { defaultOrgLimits } from '#domain/org';
import { generateApiKey, type Role } from '#domain/principal';
import { type Adapters, composeHandlers } from '#local/compose';
import { localDataPlane } from '#local/data-plane';
import { createGateway, type GatewayResponse, lambdaContext } from '#local/gateway';
import { type Clock, randomIds, systemClock } from '#ports/clock';
import { type CommandRunner, ExecUnavailableError, type TaskLogs } from '#ports/container-runtime';
import type { ReconcileConfig } from '#use-cases/reconcile';

export const AWS = {
  region: 'us-east-1',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/taskenv',
  subnets: ['subnet-aaa', 'subnet-bbb'],
  securityGroups: ['sg-123'],
  executionRoleArn: 'arn:aws:iam::123456789012:role/taskenv-exec',
  taskRoleArn: 'arn:aws:iam::123456789012:role/taskenv-task',
  logGroupName: '/taskenv/tasks',
  bucket: 'taskenv-env-files',
  kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc',
  executeTokenKeyId: 'arn:aws:kms:us-east-1:123456789012:key/hmac',
  schedulerGroup: 'taskenv',
  schedulerRoleArn: 'arn:aws:iam::123456789012:role/taskenv-scheduler',
  busName: 'taskenv',
  secretsPrefix: 'taskenv',
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/taskenv-lifecycle-checks',
} as const;

export const MIN_CLIENT_VERSION = '1.0.0';

/** Mocks for every AWS client the API talks to; `reset()` gives each test a clean slate. */
export const createAwsMocks = () => {
  const mocks = {
    ecs: mockClient(ECSClient),
    s3: mockClient(S3Client),
    scheduler: mockClient(SchedulerClient),
    secretsManager: mockClient(SecretsManagerClient),
    eventBridge: mockClient(EventBridgeClient),
    ec2: mockClient(EC2Client),
    kms: mockClient(KMSClient),
    sqs: mockClient(SQSClient),
  };
  // KMS's HMAC, computed with a key only this mock knows; VerifyMac fails as KMS does.
  const hmacKey = Buffer.alloc(32, 7);
  const mac = (message: Uint8Array | undefined) =>
    createHmac('sha256', hmacKey)
      .update(message ?? new Uint8Array())
      .digest();
  const secrets = new Map<string, string>();
  let taskCounter = 0;
  const reset = () => {
    for (const mock of Object.values(mocks)) mock.reset();
    secrets.clear();
    mocks.ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family?: string }) => ({
      taskDefinition: {
        taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${input.family}:1`,
      },
    }));
    mocks.ecs.on(RunTaskCommand).callsFake((input: { startedBy?: string }) => ({
      tasks: [
        {
          taskArn: `arn:aws:ecs:us-east-1:123456789012:task/taskenv/${(++taskCounter).toString(16).padStart(32, '0')}`,
          startedBy: input.startedBy,
          lastStatus: 'PROVISIONING',
          desiredStatus: 'RUNNING',
        },
      ],
      failures: [],
    }));
    mocks.ecs.on(StopTaskCommand).resolves({});
    mocks.s3.on(PutObjectCommand).resolves({});
    mocks.s3.on(DeleteObjectCommand).resolves({});
    mocks.scheduler.on(CreateScheduleCommand).resolves({});
    mocks.scheduler.on(UpdateScheduleCommand).resolves({});
    mocks.scheduler.on(DeleteScheduleCommand).resolves({});
    mocks.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    mocks.sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    // Secrets Manager keeps values in memory so create can read back what PUT stored.
    mocks.secretsManager
      .on(CreateSecretCommand)
      .callsFake((input: { Name: string; SecretString: string }) => {
        const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.Name}`;
        secrets.set(arn, input.SecretString);
        return { ARN: arn, Name: input.Name };
      });
    mocks.secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({
      SecretString: secrets.get(input.SecretId),
    }));
    mocks.secretsManager.on(DeleteSecretCommand).resolves({});
    mocks.kms.on(GenerateMacCommand).callsFake((input: { Message?: Uint8Array }) => ({
      Mac: new Uint8Array(mac(input.Message)),
      MacAlgorithm: 'HMAC_SHA_256',
    }));
    mocks.kms.on(VerifyMacCommand).callsFake((input: { Message?: Uint8Array; Mac?: Uint8Array }) => {
      if (!mac(input.Message).equals(Buffer.from(input.Mac ?? new Uint8Array()))) {
        throw new KMSInvalidMacException({ message: 'Invalid MAC', $metadata: {} });
      }
      return { MacValid: true, MacAlgorithm: 'HMAC_SHA_256' };
    });
  };
  reset();
  return { ...mocks, reset };
};

export type AwsMocks = ReturnType<typeof createAwsMocks>;

export interface ApiCall {
  readonly key?: string;
  readonly body?: unknown;
  /** Sent as it is (for malformed-JSON and size tests). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string | string[]>;
}

export interface ApiReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests.
  readonly body: any;
  readonly raw: string;
}

export interface ApiHarnessOptions {
  /** Wraps the adapters before the handlers are built (a test's fault injection). */
  readonly decorate?: (adapters: Adapters) => Adapters;
  readonly reconcile?: ReconcileConfig;
  /** Drives the use cases (deadlines, grace periods); the store stamps `updatedAt` itself. */
  readonly clock?: Clock;
}

/** Builds the gateway with every handler wired to DynamoDB Local and the mocked AWS clients. */
export const createApiHarness = (options: ApiHarnessOptions = {}) => {
  const tableName = process.env.TABLE_NAME ?? 'taskenv-test';
  const idempotencyTableName = process.env.IDEMPOTENCY_TABLE_NAME ?? 'taskenv-test-idempotency';
  const documentClient = createDocumentClient();
  const stores = dynamoStores(documentClient, { TABLE_NAME: tableName });
  const ecsConfig = {
    AWS_REGION: AWS.region,
    CLUSTER_ARN: AWS.clusterArn,
    SUBNETS: [...AWS.subnets],
    SECURITY_GROUPS: [...AWS.securityGroups],
    ASSIGN_PUBLIC_IP: true,
    EXECUTION_ROLE_ARN: AWS.executionRoleArn,
    TASK_ROLE_ARN: AWS.taskRoleArn,
    LOG_GROUP_NAME: AWS.logGroupName,
  };
  const runtime = ecsRuntime(new ECSClient({ region: AWS.region }), ecsConfig);
  const envFiles = s3EnvFiles(new S3Client({ region: AWS.region }), {
    ENV_FILE_BUCKET: AWS.bucket,
    ENV_FILE_KMS_KEY_ID: AWS.kmsKeyId,
  });
  const expiry = schedulerExpiry(new SchedulerClient({ region: AWS.region }), {
    CLUSTER_ARN: AWS.clusterArn,
    SCHEDULER_GROUP: AWS.schedulerGroup,
    SCHEDULER_ROLE_ARN: AWS.schedulerRoleArn,
  });
  const values = secretValues(new SecretsManagerClient({ region: AWS.region }), {
    SECRETS_PREFIX: AWS.secretsPrefix,
  });
  const eventBridge = new EventBridgeClient({ region: AWS.region });
  const publisher = eventBus(eventBridge, { EVENT_BUS_NAME: AWS.busName });
  // Commands run in whatever the test puts here: an in-test CommandRunner and TaskLogs (the ports).
  const commands: { runner: CommandRunner | null; logs: TaskLogs | null } = { runner: null, logs: null };
  const harnessRuntime: CommandRunner & TaskLogs = {
    exec: (taskArn, service, command, options) => {
      if (commands.runner === null) throw new ExecUnavailableError('no runner in this test');
      return commands.runner.exec(taskArn, service, command, options);
    },
    read: async (task, service, tail) =>
      commands.logs === null ? { lines: [], truncated: false } : commands.logs.read(task, service, tail),
  };
  const dataPlane = localDataPlane({
    client: documentClient,
    tableName,
    runtime: harnessRuntime,
    verifiedEvents: publisher,
    clock: systemClock,
    syncWindowMs: 1_000,
    onError: () => undefined,
  });
  const adapters: Adapters = {
    ...stores,
    dataPlane,
    secretValues: values,
    envFiles,
    runtime,
    expiry,
    publisher,
    poolKeeper: poolNudge(eventBridge, { EVENT_BUS_NAME: AWS.busName }),
    addresses: addressResolver(new EC2Client({ region: AWS.region }), { URL_MODE: 'public' }),
    checks: lifecycleQueue(new SQSClient({ region: AWS.region }), { LIFECYCLE_QUEUE_URL: AWS.queueUrl }),
    clock: options.clock ?? systemClock,
    ids: randomIds,
    executeTokens: kmsExecuteTokens(new KMSClient({ region: AWS.region }), {
      EXECUTE_TOKEN_KEY_ID: AWS.executeTokenKeyId,
    }),
    idempotency: new DynamoDBPersistenceLayer({
      tableName: idempotencyTableName,
      awsSdkV3Client: new DynamoDBClient({}),
    }),
  };
  const handlers = composeHandlers(options.decorate?.(adapters) ?? adapters, {
    version: '0.0.0-test',
    minClientVersion: MIN_CLIENT_VERSION,
    docsAssets: async () => ({ script: 'window.SwaggerUIBundle = () => ({});', stylesheet: '' }),
    reconcile: options.reconcile ?? { launchDeadlineSec: 600, maxLaunchAttempts: 3 },
  });
  const gateway = createGateway({ authorizer: handlers.authorizer, handlers: handlers.http });

  const call = async (method: string, path: string, options: ApiCall = {}): Promise<ApiReply> => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v]) query.append(k, item);
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.Authorization = `Bearer ${options.key}`;
    let body: string | null = null;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const response: GatewayResponse = await gateway.handle({ method, path, query, headers, body });
    let parsed: unknown = null;
    try {
      parsed = response.body === '' ? null : JSON.parse(response.body);
    } catch {
      parsed = response.body;
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, raw: response.body };
  };

  /** A fresh org (unique name) with limits and keys: an admin key and one limited to workspace `ws-a`. */
  const seedOrg = async (options: { maxConcurrentEnvironments?: number; maxLifetimeSec?: number } = {}) => {
    const org = `org-${crypto.randomUUID().slice(0, 8)}`;
    await stores.access.putOrg({
      org,
      maxConcurrentEnvironments:
        options.maxConcurrentEnvironments ?? defaultOrgLimits.maxConcurrentEnvironments,
      maxLifetimeSec: options.maxLifetimeSec ?? defaultOrgLimits.maxLifetimeSec,
      createdAt: new Date().toISOString(),
    });
    const issue = async (role: Role, workspaces: string[]) => {
      const generated = generateApiKey();
      await stores.access.putApiKey({
        keyHash: generated.keyHash,
        keyId: generated.keyId,
        org,
        role,
        workspaces,
        createdAt: new Date().toISOString(),
        revoked: false,
      });
      return generated;
    };
    const admin = await issue('admin', ['*']);
    const member = await issue('member', ['ws-a']);
    return { org, adminKey: admin.key, adminKeyHash: admin.keyHash, memberKey: member.key };
  };

  /**
   * A fresh org (as `seedOrg`) with the task of `manifest()` published by its admin key, with
   * `options.manifest` over its fields.
   */
  const seedWithTask = async (
    options: Parameters<typeof seedOrg>[0] & { readonly manifest?: Record<string, unknown> } = {},
  ) => {
    const { manifest: fields = {}, ...limits } = options;
    const seeded = await seedOrg(limits);
    const published = await call('POST', `/api/v1/org/${seeded.org}/tasks`, {
      key: seeded.adminKey,
      body: manifest(fields),
    });
    expect(published.status, published.raw).toBe(201);
    return seeded;
  };

  return { call, seedOrg, seedWithTask, stores, tableName, documentClient, handlers, commands, dataPlane };
};

export type ApiHarness = ReturnType<typeof createApiHarness>;

/** The messages sent to the lifecycle queue so far, oldest first. */
export const sentMessages = (aws: AwsMocks) =>
  aws.sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);

/** One record of the lifecycle-checks queue as its consumer receives it, sent at `sentAt` (epoch ms). */
export const lifecycleCheckRecord = (messageId: string, body: string, sentAt: number): SQSRecord => ({
  messageId,
  receiptHandle: 'r',
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(sentAt),
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: String(sentAt),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:lifecycle-checks',
  awsRegion: AWS.region,
});

/**
 * The lifecycle queue, played by hand: `deliver` hands every message sent so far (and not yet
 * delivered) to the queue's consumer in one batch, as SQS would, stamped with `now()`; `reset`
 * starts over (call it with `aws.reset()`).
 */
export const handPlayedQueue = (aws: AwsMocks, api: ApiHarness, now: () => number) => {
  let delivered = 0;
  return {
    reset: (): void => {
      delivered = 0;
    },
    deliver: (): Promise<SQSBatchResponse> => {
      const pending = sentMessages(aws).slice(delivered);
      const first = delivered;
      delivered += pending.length;
      const Records = pending.map((message, i) =>
        lifecycleCheckRecord(`m-${first + i}`, message.MessageBody ?? '', now()),
      );
      return api.handlers.lifecycleChecks({ Records }, lambdaContext('lifecycle-checks'));
    },
  };
};

/** A small valid manifest; override what a test is about. */
export const manifest = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'web-sqli',
  version: '1.2.0',
  description: 'SQL injection login bypass',
  public: false,
  instruction: 'Log in to {{ web_url }}/login as {{ user }}.',
  inputs: {
    user: { type: 'string', default: 'admin' },
    level: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
  },
  services: {
    web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] },
  },
  resources: { cpu: 256, memory: 512 },
  timeout: { default_sec: 900, max_sec: 3600 },
  verification: { method: 'flag', path: '/tmp/flag.txt', value: 'FLAG{demo}' },
  ...overrides,
});

/** The canonical envelope of `docs/api.md`, and nothing else: `errors` only on a 422, `code` = status. */
export const expectError = (reply: ApiReply, status: number, type: string): void => {
  expect(reply.status, reply.raw).toBe(status);
  expect(Object.keys(reply.body).sort()).toEqual(
    status === 422 ? ['code', 'detail', 'errors', 'type'] : ['code', 'detail', 'type'],
  );
  expect(reply.body.code).toBe(status);
  expect(reply.body.type).toBe(type);
  expect(typeof reply.body.detail).toBe('string');
};
