import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { renderEnvFile } from '#domain/env-file';
import type { EnvFileStore } from '#ports/env-file-store';

const keyOf = (environmentId: string): string => `env/${environmentId}.env`;

/**
 * {@link EnvFileStore} on S3: one KMS-encrypted object per environment, handed to ECS as an
 * `environmentFiles` entry. The bucket's lifecycle rule removes objects a crash left behind.
 */
export class S3EnvFileStore implements EnvFileStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #kmsKeyId: string;

  constructor({ s3, bucket, kmsKeyId }: { s3: S3Client; bucket: string; kmsKeyId: string }) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#kmsKeyId = kmsKeyId;
  }

  /** @returns the object ARN, the form ECS `environmentFiles` expects. */
  refFor(environmentId: string): string {
    return `arn:aws:s3:::${this.#bucket}/${keyOf(environmentId)}`;
  }

  async put(environmentId: string, variables: Readonly<Record<string, string>>): Promise<string> {
    const key = keyOf(environmentId);
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: renderEnvFile(variables),
        ContentType: 'text/plain',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: this.#kmsKeyId,
      }),
    );
    return this.refFor(environmentId);
  }

  async delete(environmentId: string): Promise<void> {
    // S3 answers 204 for a missing key too, which is what the port asks for.
    await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: keyOf(environmentId) }));
  }
}
