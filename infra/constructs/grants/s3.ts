/** S3: the per-environment env files (and the KMS data key an SSE-KMS PutObject needs). */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { envFileConfig } from '#shared/wiring/config';
import type { Bindings } from '#shared/wiring/functions';
import type { GrantTarget, GrantVariables } from './target.ts';

/** The KMS-encrypted bucket of per-environment env files and where in it they live. */
export interface EnvFileBucket {
  readonly bucket: Pick<s3.IBucket, 'bucketArn' | 'bucketName' | 'arnForObjects'>;
  readonly key: Pick<kms.IKey, 'keyArn'>;
  /** Object key prefix of the env files, with its trailing slash (`env/`). */
  readonly prefix: string;
}

/** `delete`: DeleteObject only. `write`: PutObject (SSE-KMS with the bucket's key) and DeleteObject. */
export const grantEnvFiles = (
  fn: GrantTarget,
  envFiles: EnvFileBucket,
  access: NonNullable<Bindings['envFiles']>,
): GrantVariables<typeof envFileConfig> => {
  fn.addToPolicy(
    new iam.PolicyStatement({
      actions: access === 'write' ? ['s3:PutObject', 's3:DeleteObject'] : ['s3:DeleteObject'],
      resources: [envFiles.bucket.arnForObjects(`${envFiles.prefix}*`)],
    }),
    'One env file per environment under the env-file prefix of our bucket; keys are environment ids.',
  );
  if (access === 'write') {
    // SSE-KMS PutObject: S3 asks KMS for a data key on the caller's behalf.
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [envFiles.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(fn).region}.amazonaws.com` } },
      }),
    );
  }
  return { ENV_FILE_BUCKET: envFiles.bucket.bucketName, ENV_FILE_KMS_KEY_ID: envFiles.key.keyArn };
};
