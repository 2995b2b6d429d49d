/**
 * Adapter builders shared by the Lambda entries, over the config fragments of their bindings
 * (`shared/wiring/config.ts`). Builders take the
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
import type {
  busConfig,
  ecsConfig,
  envFileConfig,
  executeTokenConfig,
  lifecycleQueueConfig,
  ConfigOutput as Out,
  schedulerConfig,
  secretsConfig,
  tableConfig,
  urlModeConfig,
} from '#shared/wiring/config';
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
