import {
  DisabledException,
  GenerateMacCommand,
  KMSClient,
  KMSInvalidMacException,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsExecuteTokens } from '#adapters/aws/kms-execute-tokens';

const kms = new KMSClient({ region: 'eu-west-1' });
const kmsMock = mockClient(kms);

const ENV_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/hmac-1234';
const MAC = Uint8Array.from({ length: 32 }, (_, i) => i);
const TOKEN = Buffer.from(MAC).toString('base64url');
const MESSAGE = new TextEncoder().encode(`taskenv:execute-token:v1:${ENV_ID}`);

const tokens = new KmsExecuteTokens({ kms, keyId: KEY_ID });

beforeEach(() => {
  kmsMock.reset();
});

describe('KmsExecuteTokens.issue', () => {
  it("asks KMS for the HMAC-SHA-256 of the environment's token message and answers it in base64url", async () => {
    // Prepare
    kmsMock.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: KEY_ID, MacAlgorithm: 'HMAC_SHA_256' });

    // Act
    const token = await tokens.issue(ENV_ID);

    // Assess
    expect(token).toBe(TOKEN);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const calls = kmsMock.commandCalls(GenerateMacCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      KeyId: KEY_ID,
      MacAlgorithm: 'HMAC_SHA_256',
      Message: Buffer.from(MESSAGE),
    });
  });

  it('fails when KMS answers no MAC, rather than issue an empty token', async () => {
    kmsMock.on(GenerateMacCommand).resolves({});

    await expect(tokens.issue(ENV_ID)).rejects.toThrow('KMS GenerateMac returned no MAC');
  });
});

describe('KmsExecuteTokens.verify', () => {
  it('asks KMS to verify the MAC against the same message and answers true when it does', async () => {
    // Prepare
    kmsMock.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: KEY_ID, MacAlgorithm: 'HMAC_SHA_256' });

    // Act
    const valid = await tokens.verify(ENV_ID, TOKEN);

    // Assess
    expect(valid).toBe(true);
    expect(kmsMock.commandCalls(VerifyMacCommand)[0]?.args[0].input).toEqual({
      KeyId: KEY_ID,
      MacAlgorithm: 'HMAC_SHA_256',
      Message: Buffer.from(MESSAGE),
      Mac: Buffer.from(MAC),
    });
  });

  it('answers false when KMS rejects the MAC (KMSInvalidMacException)', async () => {
    kmsMock
      .on(VerifyMacCommand)
      .rejects(new KMSInvalidMacException({ message: 'Invalid MAC', $metadata: {} }));

    await expect(tokens.verify(ENV_ID, TOKEN)).resolves.toBe(false);
  });

  it.each([
    ['empty', ''],
    ['too short', TOKEN.slice(0, 42)],
    ['too long', `${TOKEN}A`],
    ['not base64url', `${TOKEN.slice(0, 42)}+`],
  ])('answers false for a %s token without calling KMS', async (_, token) => {
    await expect(tokens.verify(ENV_ID, token)).resolves.toBe(false);
    expect(kmsMock.commandCalls(VerifyMacCommand)).toHaveLength(0);
  });

  it('lets any other KMS failure through (a 500, not a 401 that would hide an outage)', async () => {
    kmsMock.on(VerifyMacCommand).rejects(new DisabledException({ message: 'key disabled', $metadata: {} }));

    await expect(tokens.verify(ENV_ID, TOKEN)).rejects.toBeInstanceOf(DisabledException);
  });
});
