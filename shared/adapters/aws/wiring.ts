/**
 * Configuration fragments and adapter builders shared by the Lambda entries. Builders take the
 * SDK client as an argument, so an entry bundles only the clients it imports itself.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { booleanFlag, commaList } from '#shared/config';
import * as z from '#shared/zod';
import { DynamoAccessStore } from './dynamodb/access-store.ts';
import { DynamoEnvironmentStore } from './dynamodb/environment-store.ts';
import { DynamoPoolStore } from './dynamodb/pool-store.ts';
import { DynamoSecretMetadataStore } from './dynamodb/secret-metadata-store.ts';
import { DynamoTaskRegistry } from './dynamodb/task-registry.ts';
import { Ec2AddressResolver } from './ec2-address-resolver.ts';
import { EcsRuntime } from './ecs-runtime.ts';
import { EventBridgePoolNudge } from './eventbridge-pool-nudge.ts';
import { EventBridgePublisher } from './eventbridge-publisher.ts';
import { KmsExecuteTokens } from './kms-execute-tokens.ts';
import { S3EnvFileStore } from './s3-env-file-store.ts';
import { SchedulerExpiry } from './scheduler-expiry.ts';
import { SecretsManagerValueStore } from './secrets-manager-store.ts';
import { SqsLifecycleQueue } from './sqs-lifecycle-queue.ts';

const name = () => z.string().check(z.minLength(1));

export const tableConfig = { TABLE_NAME: name() };
export const apiConfig = { MIN_CLIENT_VERSION: z.optional(z.string().check(z.regex(/^\d+(\.\d+)*$/))) };
export const ecsConfig = {
  AWS_REGION: name(),
  CLUSTER_ARN: name(),
  SUBNETS: commaList(),
  SECURITY_GROUPS: commaList(),
  ASSIGN_PUBLIC_IP: booleanFlag(),
  EXECUTION_ROLE_ARN: name(),
  TASK_ROLE_ARN: name(),
  LOG_GROUP_NAME: name(),
};
export const envFileConfig = { ENV_FILE_BUCKET: name(), ENV_FILE_KMS_KEY_ID: name() };
export const schedulerConfig = { CLUSTER_ARN: name(), SCHEDULER_GROUP: name(), SCHEDULER_ROLE_ARN: name() };
export const secretsConfig = { SECRETS_PREFIX: name(), SECRETS_KMS_KEY_ID: z.optional(name()) };
export const busConfig = { EVENT_BUS_NAME: name() };
/** The KMS HMAC key (`HMAC_256`) execute tokens are derived with. */
export const executeTokenConfig = { EXECUTE_TOKEN_KEY_ID: name() };

export const execConfig = {
  EXEC_WORKER_FUNCTION_NAME: name(),
  /** How long POST execute waits before answering 202, in ms. */
  EXEC_SYNC_WINDOW_MS: z.pipe(
    z.optional(z.string().check(z.regex(/^\d+$/))),
    z.transform((v) => (v === undefined ? 20_000 : Number(v))),
  ),
  LOG_GROUP_NAME: name(),
};
export const urlModeConfig = { URL_MODE: z.enum(['public', 'private']) };
export const lifecycleQueueConfig = { LIFECYCLE_QUEUE_URL: name() };

type Out<T extends Record<string, z.core.$ZodType>> = z.output<z.ZodMiniObject<T>>;

export const dynamoStores = (client: DynamoDBDocumentClient, c: Out<typeof tableConfig>) => {
  const options = { client, tableName: c.TABLE_NAME };
  return {
    store: new DynamoEnvironmentStore(options),
    tasks: new DynamoTaskRegistry(options),
    access: new DynamoAccessStore(options),
    secretMetadata: new DynamoSecretMetadataStore(options),
    poolStore: new DynamoPoolStore(options),
  };
};

export const ecsRuntime = (ecs: ECSClient, c: Out<typeof ecsConfig>): EcsRuntime =>
  new EcsRuntime({
    ecs,
    config: {
      clusterArn: c.CLUSTER_ARN,
      subnets: c.SUBNETS,
      securityGroups: c.SECURITY_GROUPS,
      assignPublicIp: c.ASSIGN_PUBLIC_IP,
      executionRoleArn: c.EXECUTION_ROLE_ARN,
      taskRoleArn: c.TASK_ROLE_ARN,
      logGroupName: c.LOG_GROUP_NAME,
      region: c.AWS_REGION,
    },
  });

export const s3EnvFiles = (s3: S3Client, c: Out<typeof envFileConfig>): S3EnvFileStore =>
  new S3EnvFileStore({ s3, bucket: c.ENV_FILE_BUCKET, kmsKeyId: c.ENV_FILE_KMS_KEY_ID });

export const schedulerExpiry = (
  scheduler: SchedulerClient,
  c: Out<typeof schedulerConfig>,
): SchedulerExpiry =>
  new SchedulerExpiry({
    scheduler,
    groupName: c.SCHEDULER_GROUP,
    roleArn: c.SCHEDULER_ROLE_ARN,
    clusterArn: c.CLUSTER_ARN,
  });

export const secretValues = (
  secretsManager: SecretsManagerClient,
  c: Out<typeof secretsConfig>,
): SecretsManagerValueStore =>
  new SecretsManagerValueStore({ secretsManager, prefix: c.SECRETS_PREFIX, kmsKeyId: c.SECRETS_KMS_KEY_ID });

export const eventBus = (eventBridge: EventBridgeClient, c: Out<typeof busConfig>): EventBridgePublisher =>
  new EventBridgePublisher({ eventBridge, busName: c.EVENT_BUS_NAME });

export const lifecycleQueue = (sqs: SQSClient, c: Out<typeof lifecycleQueueConfig>): SqsLifecycleQueue =>
  new SqsLifecycleQueue({ sqs, queueUrl: c.LIFECYCLE_QUEUE_URL });

export const addressResolver = (ec2: EC2Client, c: Out<typeof urlModeConfig>): Ec2AddressResolver =>
  new Ec2AddressResolver({ ec2, mode: c.URL_MODE });

export const poolNudge = (eventBridge: EventBridgeClient, c: Out<typeof busConfig>): EventBridgePoolNudge =>
  new EventBridgePoolNudge({ eventBridge, busName: c.EVENT_BUS_NAME });
export const kmsExecuteTokens = (kms: KMSClient, c: Out<typeof executeTokenConfig>): KmsExecuteTokens =>
  new KmsExecuteTokens({ kms, keyId: c.EXECUTE_TOKEN_KEY_ID });
