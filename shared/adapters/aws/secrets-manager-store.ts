import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretValueStore } from '#ports/secret-store';

/** Long enough to undo a mistaken DELETE; a PUT of the same id within it restores the secret. */
const RECOVERY_WINDOW_DAYS = 7;

/**
 * Secrets Manager answers InvalidRequestException ("…marked for deletion" / "…scheduled for
 * deletion") for a name whose secret is inside its recovery window.
 */
const isPendingDeletion = (e: unknown): e is InvalidRequestException =>
  e instanceof InvalidRequestException && /deletion|deleted/i.test(e.message);

/**
 * {@link SecretValueStore} on Secrets Manager: one secret per (org, workspace, id), named
 * `<prefix>/<org>/<workspace>/<id>` so IAM can scope access by prefix. The value reference
 * is the full ARN, which stays valid across replaces.
 */
export class SecretsManagerValueStore implements SecretValueStore {
  readonly #secretsManager: SecretsManagerClient;
  readonly #prefix: string;
  readonly #kmsKeyId: string | undefined;

  constructor({
    secretsManager,
    prefix,
    kmsKeyId,
  }: {
    secretsManager: SecretsManagerClient;
    prefix: string;
    /** Customer managed key; the account's `aws/secretsmanager` key when absent. */
    kmsKeyId?: string | undefined;
  }) {
    this.#secretsManager = secretsManager;
    this.#prefix = prefix;
    this.#kmsKeyId = kmsKeyId;
  }

  async put(org: string, workspace: string, id: string, value: string): Promise<string> {
    const name = `${this.#prefix}/${org}/${workspace}/${id}`;
    try {
      const created = await this.#secretsManager.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          ...(this.#kmsKeyId === undefined ? {} : { KmsKeyId: this.#kmsKeyId }),
          Tags: [
            { Key: 'taskenv:org', Value: org },
            { Key: 'taskenv:workspace', Value: workspace },
            { Key: 'taskenv:secret-id', Value: id },
          ],
        }),
      );
      return requireArn(created.ARN, name);
    } catch (e) {
      if (e instanceof ResourceExistsException) {
        return this.#replace(name, value);
      }
      if (isPendingDeletion(e)) {
        await this.#secretsManager.send(new RestoreSecretCommand({ SecretId: name }));
        return this.#replace(name, value);
      }
      throw e;
    }
  }

  async get(valueRef: string): Promise<string> {
    const { SecretString } = await this.#secretsManager.send(
      new GetSecretValueCommand({ SecretId: valueRef }),
    );
    if (SecretString === undefined) {
      // taskenv only ever writes strings; a binary secret here was written by someone else.
      throw new Error(`Secret ${valueRef} has no string value`);
    }
    return SecretString;
  }

  async delete(valueRef: string): Promise<void> {
    try {
      await this.#secretsManager.send(
        new DeleteSecretCommand({ SecretId: valueRef, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS }),
      );
    } catch (e) {
      // Already gone, or already waiting out its recovery window: either way it is deleted.
      if (e instanceof ResourceNotFoundException || isPendingDeletion(e)) {
        return;
      }
      throw e;
    }
  }

  async #replace(name: string, value: string): Promise<string> {
    const { ARN } = await this.#secretsManager.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: value }),
    );
    return requireArn(ARN, name);
  }
}

const requireArn = (arn: string | undefined, name: string): string => {
  if (arn === undefined) {
    throw new Error(`Secrets Manager returned no ARN for ${name}`);
  }
  return arn;
};
