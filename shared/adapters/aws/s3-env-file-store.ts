import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EnvFileStore } from '#ports/env-file-store';

/** ECS reads `NAME=value` lines and has no quoting or escaping, so a name is kept to a plain identifier. */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const keyOf = (environmentId: string): string => `env/${environmentId}.env`;

/**
 * Renders the ECS env file format: one `NAME=value` per line, sorted so the same variables give
 * the same object. A line break in a value would start a new variable inside the sandbox, so
 * it is refused here even though callers validate first.
 */
export const renderEnvFile = (variables: Readonly<Record<string, string>>): string =>
  Object.entries(variables)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => {
      if (!ENV_NAME_PATTERN.test(name)) {
        throw new Error(`Env file variable name '${name}' is not a valid identifier`);
      }
      if (/[\r\n]/.test(value)) {
        // The value is likely a secret: name the variable, never echo the value.
        throw new Error(
          `Env file variable '${name}' contains a line break, which the ECS env file format cannot hold`,
        );
      }
      return `${name}=${value}\n`;
    })
    .join('');

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
