import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerValueStore } from '#adapters/aws/secrets-manager-store';

const secretsManager = new SecretsManagerClient({ region: 'eu-west-1' });
const secretsMock = mockClient(secretsManager);

const NAME = 'taskenv/acme/research/openai-key';
const ARN = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${NAME}-AbCdEf`;
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const VALUE = 'sk-live-4f9c2a7e1b3d5f60';

const store = new SecretsManagerValueStore({ secretsManager, prefix: 'taskenv', kmsKeyId: KMS_KEY });

/** Command names in call order, to assert the sequence of a multi-step path. */
const callSequence = (): string[] => secretsMock.calls().map((call) => call.args[0].constructor.name);

beforeEach(() => {
  secretsMock.reset();
});

describe('SecretsManagerValueStore.put', () => {
  it('creates a tagged secret under the org/workspace prefix and returns its ARN', async () => {
    // Prepare
    secretsMock.on(CreateSecretCommand).resolves({ ARN, Name: NAME });

    // Act
    const ref = await store.put('acme', 'research', 'openai-key', VALUE);

    // Assess
    expect(ref).toBe(ARN);
    expect(secretsMock.commandCalls(CreateSecretCommand)[0]?.args[0].input).toEqual({
      Name: NAME,
      SecretString: VALUE,
      KmsKeyId: KMS_KEY,
      Tags: [
        { Key: 'taskenv:org', Value: 'acme' },
        { Key: 'taskenv:workspace', Value: 'research' },
        { Key: 'taskenv:secret-id', Value: 'openai-key' },
      ],
    });
  });

  it('leaves the key choice to Secrets Manager when no KMS key is configured', async () => {
    // Prepare
    secretsMock.on(CreateSecretCommand).resolves({ ARN });
    const withDefaultKey = new SecretsManagerValueStore({ secretsManager, prefix: 'taskenv' });

    // Act
    await withDefaultKey.put('acme', 'research', 'openai-key', VALUE);

    // Assess
    expect(secretsMock.commandCalls(CreateSecretCommand)[0]?.args[0].input).not.toHaveProperty('KmsKeyId');
  });

  it('replaces the value of an existing secret', async () => {
    // Prepare
    secretsMock
      .on(CreateSecretCommand)
      .rejects(new ResourceExistsException({ message: `The secret ${NAME} already exists.`, $metadata: {} }));
    secretsMock.on(PutSecretValueCommand).resolves({ ARN, VersionId: 'v2' });

    // Act
    const ref = await store.put('acme', 'research', 'openai-key', 'sk-new');

    // Assess
    expect(ref).toBe(ARN);
    expect(secretsMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: NAME,
      SecretString: 'sk-new',
    });
    expect(callSequence()).toEqual(['CreateSecretCommand', 'PutSecretValueCommand']);
  });

  it('restores a secret waiting out its recovery window, then sets the new value', async () => {
    // Prepare
    secretsMock.on(CreateSecretCommand).rejects(
      new InvalidRequestException({
        message:
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        $metadata: {},
      }),
    );
    secretsMock.on(RestoreSecretCommand).resolves({ ARN, Name: NAME });
    secretsMock.on(PutSecretValueCommand).resolves({ ARN });

    // Act
    const ref = await store.put('acme', 'research', 'openai-key', 'sk-again');

    // Assess
    expect(ref).toBe(ARN);
    expect(callSequence()).toEqual(['CreateSecretCommand', 'RestoreSecretCommand', 'PutSecretValueCommand']);
    expect(secretsMock.commandCalls(RestoreSecretCommand)[0]?.args[0].input).toEqual({ SecretId: NAME });
    expect(secretsMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: NAME,
      SecretString: 'sk-again',
    });
  });

  it('surfaces an invalid request that is not about deletion', async () => {
    // Prepare
    const invalid = new InvalidRequestException({ message: 'The KMS key is disabled.', $metadata: {} });
    secretsMock.on(CreateSecretCommand).rejects(invalid);

    // Act
    const result = store.put('acme', 'research', 'openai-key', VALUE);

    // Assess
    await expect(result).rejects.toBe(invalid);
    expect(callSequence()).toEqual(['CreateSecretCommand']);
  });
});

describe('SecretsManagerValueStore.get', () => {
  it('reads the string value by ARN', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ ARN, SecretString: VALUE });

    // Act
    const value = await store.get(ARN);

    // Assess
    expect(value).toBe(VALUE);
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: ARN });
  });

  it('refuses a secret without a string value', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ ARN, SecretBinary: new Uint8Array([1, 2]) });

    // Act
    const result = store.get(ARN);

    // Assess
    await expect(result).rejects.toThrow(/no string value/);
  });
});

describe('SecretsManagerValueStore.delete', () => {
  it('deletes with a 7-day recovery window', async () => {
    // Prepare
    secretsMock.on(DeleteSecretCommand).resolves({ ARN });

    // Act
    await store.delete(ARN);

    // Assess
    expect(secretsMock.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: ARN,
      RecoveryWindowInDays: 7,
    });
  });

  it('ignores a secret that no longer exists', async () => {
    // Prepare
    secretsMock
      .on(DeleteSecretCommand)
      .rejects(
        new ResourceNotFoundException({ message: "Secrets Manager can't find the secret.", $metadata: {} }),
      );

    // Act
    const result = store.delete(ARN);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('ignores a secret already scheduled for deletion', async () => {
    // Prepare
    secretsMock.on(DeleteSecretCommand).rejects(
      new InvalidRequestException({
        message: "You can't perform this operation on the secret because it was marked for deletion.",
        $metadata: {},
      }),
    );

    // Act
    const result = store.delete(ARN);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });
});
