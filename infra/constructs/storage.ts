import { CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { idempotencyTableDefinition, tableDefinition } from '#adapters/aws/dynamodb/table';
import type { EnvFileBucket } from './grants/index.ts';
import { asIBucket } from './widen.ts';

export interface StorageProps {
  /**
   * What `cdk destroy` does with the table, the env-file bucket and the key. `RETAIN` also
   * turns on the table's deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long an env file may outlive a crash that kept it from being deleted.
   * @default Duration.days(1)
   */
  readonly envFileExpiry?: Duration;
  /**
   * How long the S3 server access logs of the env-file bucket are kept.
   * @default Duration.days(90)
   */
  readonly accessLogExpiry?: Duration;
  /**
   * Retention of the log group of the function that empties the buckets on `cdk destroy`
   * (only with `RemovalPolicy.DESTROY`).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Object key prefix of the env files (`S3EnvFileStore` writes `env/<environment id>.env`). */
export const ENV_FILE_PREFIX = 'env/';

/**
 * The stateful part of taskenv: the single table (built from the shared table definition, so
 * DynamoDB Local and AWS cannot drift), the Powertools idempotency table, and the env-file
 * bucket with its KMS key. Nothing here holds a secret in clear: env files are SSE-KMS and
 * deleted when their task stops.
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly idempotencyTable: dynamodb.Table;
  /** Encrypts the env files (secrets and the execute token of each environment). */
  readonly key: kms.Key;
  readonly envFileBucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  /** The bucket, key and prefix as the functions and the execution role bind them. */
  readonly envFiles: EnvFileBucket;
  /**
   * The HMAC key execute tokens are derived with (`HMAC(key, environment id)`, `docs/design.md`):
   * GenerateMac/VerifyMac only, it never leaves KMS.
   */
  readonly executeTokenKey: kms.Key;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retain = removalPolicy === RemovalPolicy.RETAIN;

    const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(tableDefinition.partitionKey),
      sortKey: attribute(tableDefinition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      // Its consumer keeps the list counters exact when TTL removes finished environments.
      stream: dynamodb.StreamViewType[tableDefinition.streamView],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy,
    });
    for (const index of tableDefinition.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType[index.projection],
        ...('nonKeyAttributes' in index ? { nonKeyAttributes: [...index.nonKeyAttributes] } : {}),
      });
    }

    // Records live 24 hours and only deduplicate retries: nothing to keep past the stack.
    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: attribute(idempotencyTableDefinition.partitionKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: idempotencyTableDefinition.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.key = new kms.Key(this, 'EnvFileKey', {
      description: 'taskenv: encrypts the per-environment env files (secrets, execute tokens)',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.executeTokenKey = new kms.Key(this, 'ExecuteTokenKey', {
      description: 'taskenv: derives the execute token of each environment (HMAC of its id)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      // KMS rotates symmetric encryption keys only; a new HMAC key would void every live token.
      enableKeyRotation: false,
      removalPolicy,
    });

    const bucketDefaults = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
      // An emptied bucket is the only kind CloudFormation deletes.
      autoDeleteObjects: !retain,
    } as const;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      ...bucketDefaults,
      // S3 server access log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogExpiry ?? Duration.days(90) }],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the env-file bucket; logging it into itself would loop.',
    });

    this.envFileBucket = new s3.Bucket(this, 'EnvFileBucket', {
      ...bucketDefaults,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of one KMS call per object.
      bucketKeyEnabled: true,
      // No versions: a deleted env file (it holds secrets) must really be gone.
      versioned: false,
      serverAccessLogsBucket: asIBucket(this.accessLogBucket),
      serverAccessLogsPrefix: 'env-files/',
      lifecycleRules: [
        {
          id: 'expire-env-files',
          prefix: ENV_FILE_PREFIX,
          expiration: props.envFileExpiry ?? Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.envFiles = { bucket: this.envFileBucket, key: this.key, prefix: ENV_FILE_PREFIX };
    if (!retain) this.giveAutoDeleteLogsARetention(props.logRetention ?? logs.RetentionDays.ONE_MONTH);
  }

  /**
   * `autoDeleteObjects` runs a stack-wide provider function that Lambda would give a log group
   * without retention on its first run. Creating that group first (its name is Lambda's fixed
   * scheme) and making the buckets' custom resources wait for it gives it one.
   */
  private giveAutoDeleteLogsARetention(retention: logs.RetentionDays): void {
    const provider = Stack.of(this).node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler');
    if (!(handler instanceof CfnResource)) {
      throw new Error('The S3 auto-delete provider moved; its log group needs a retention');
    }
    const logGroup = new logs.LogGroup(this, 'AutoDeleteObjectsLogGroup', {
      logGroupName: `/aws/lambda/${handler.ref}`,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const bucket of [this.envFileBucket, this.accessLogBucket]) {
      bucket.node.findChild('AutoDeleteObjectsCustomResource').node.addDependency(logGroup);
    }
  }
}
