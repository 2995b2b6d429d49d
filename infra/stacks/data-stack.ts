import { CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvFileBucket, ExecuteTokenKeyRef, TableRef } from '../constructs/grants/index.ts';
import { ImageRepository } from '../constructs/image-repository.ts';
import { Storage } from '../constructs/storage.ts';

export interface DataStackProps extends StackProps {
  /**
   * What `cdk destroy` does with the table, the env-file bucket and its key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the data stack's own log group (the bucket-emptying function's, destroy only).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** What the service stack needs from the data stack. */
export interface DataResources {
  /** The table, with the ARN of its stream (old images), read by the list-counters function. */
  readonly table: TableRef & { readonly tableStreamArn: string };
  readonly idempotencyTable: TableRef;
  readonly envFiles: EnvFileBucket;
  readonly executeTokenKey: ExecuteTokenKeyRef;
  /** Where `taskenv task push` pushes task images; the sandboxes' execution role pulls from it. */
  readonly imageRepository: { readonly repositoryArn: string };
}

/**
 * The stateful stack: deployed rarely, retained by default, never replaced by a change to the
 * functions or the API. The service stack reads its resources through {@link resources}.
 */
export class DataStack extends Stack {
  readonly storage: Storage;
  readonly images: ImageRepository;
  readonly resources: DataResources;

  constructor(scope: Construct, id: string, props: DataStackProps = {}) {
    super(scope, id, props);
    this.storage = new Storage(this, 'Storage', {
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });
    this.images = new ImageRepository(this, 'Images', {
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    const { table } = this.storage;
    if (table.tableStreamArn === undefined) throw new Error('The table needs its stream (list counters)');
    this.resources = {
      table: { tableArn: table.tableArn, tableName: table.tableName, tableStreamArn: table.tableStreamArn },
      idempotencyTable: this.storage.idempotencyTable,
      envFiles: this.storage.envFiles,
      executeTokenKey: this.storage.executeTokenKey,
      imageRepository: this.images.repository,
    };

    new CfnOutput(this, 'TableName', {
      value: this.storage.table.tableName,
      description: 'The taskenv table (taskenv admin bootstrap --table)',
    });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.storage.idempotencyTable.tableName });
    new CfnOutput(this, 'EnvFileBucketName', { value: this.storage.envFileBucket.bucketName });
    new CfnOutput(this, 'ImageRepositoryUri', {
      value: this.images.repositoryUri,
      description: 'Where task images are pushed (taskenv task push --repository)',
    });
  }
}
