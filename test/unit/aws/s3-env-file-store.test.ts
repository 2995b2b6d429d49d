import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3EnvFileStore } from '#adapters/aws/s3-env-file-store';

const s3 = new S3Client({ region: 'eu-west-1' });
const s3Mock = mockClient(s3);

const ENV_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const store = new S3EnvFileStore({ s3, bucket: 'taskenv-env-files', kmsKeyId: KMS_KEY });

beforeEach(() => {
  s3Mock.reset();
});

describe('S3EnvFileStore.put', () => {
  it('writes one NAME=value line per variable, KMS-encrypted, and returns the object ARN', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const ref = await store.put(ENV_ID, {
      TASKENV_EXECUTE_TOKEN: 'tok_123',
      API_KEY: 'sk-a=b c#d',
      EMPTY: '',
    });

    // Assess
    expect(ref).toBe(`arn:aws:s3:::taskenv-env-files/env/${ENV_ID}.env`);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'taskenv-env-files',
      Key: `env/${ENV_ID}.env`,
      Body: 'API_KEY=sk-a=b c#d\nEMPTY=\nTASKENV_EXECUTE_TOKEN=tok_123\n',
      ContentType: 'text/plain',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS_KEY,
    });
  });

  it.each([
    ['a line feed', 'first\nINJECTED=1'],
    ['a carriage return', 'first\rsecond'],
  ])('refuses a value containing %s without writing or echoing it', async (_, value) => {
    // Act
    const result = store.put(ENV_ID, { API_KEY: value });

    // Assess
    await expect(result).rejects.toThrow(/API_KEY.*line break/);
    await expect(result).rejects.not.toThrow(value);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('refuses a variable name the env file format cannot carry', async () => {
    // Act
    const result = store.put(ENV_ID, { 'BAD=NAME': 'x' });

    // Assess
    await expect(result).rejects.toThrow(/not a valid identifier/);
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

describe('S3EnvFileStore.delete', () => {
  it("deletes the environment's object", async () => {
    // Prepare
    s3Mock.on(DeleteObjectCommand).resolves({});

    // Act
    await store.delete(ENV_ID);

    // Assess
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'taskenv-env-files',
      Key: `env/${ENV_ID}.env`,
    });
  });
});
