import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoSecretMetadataStore } from '#adapters/aws/dynamodb/secret-metadata-store';
import type { SecretMetadata } from '#domain/secret';
import { uniqueName } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const store = new DynamoSecretMetadataStore({ client: createDocumentClient(), tableName });

const makeSecret = (
  org: string,
  workspace: string,
  id: string,
  overrides: Partial<SecretMetadata> = {},
): SecretMetadata => ({
  org,
  workspace,
  id,
  envVar: id.toUpperCase().replaceAll('-', '_'),
  preview: '****9f2c',
  valueRef: `arn:aws:secretsmanager:us-east-1:123456789012:secret:taskenv/${org}/${workspace}/${id}-AbCdEf`,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

describe('DynamoSecretMetadataStore', () => {
  it('puts, gets, lists and deletes within a workspace', async () => {
    // Prepare
    const org = uniqueName('org');
    const workspace = uniqueName('ws');
    const apiKey = makeSecret(org, workspace, 'api-key');
    const dbPassword = makeSecret(org, workspace, 'DB_PASSWORD');

    // Act
    await Promise.all([store.put(apiKey), store.put(dbPassword)]);
    const listed = await store.list(org, workspace);
    const got = await store.get(org, workspace, 'api-key');
    const deleted = await store.delete(org, workspace, 'api-key');
    const deletedAgain = await store.delete(org, workspace, 'api-key');

    // Assess
    expect(listed.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [dbPassword, apiKey].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(got).toEqual(apiKey);
    expect(deleted).toBe(true);
    expect(deletedAgain).toBe(false);
    expect(await store.get(org, workspace, 'api-key')).toBeNull();
    expect(await store.list(org, workspace)).toEqual([dbPassword]);
  });

  it('replaces a secret put again under the same id', async () => {
    const org = uniqueName('org');
    const workspace = uniqueName('ws');
    await store.put(makeSecret(org, workspace, 'token'));
    const replaced = makeSecret(org, workspace, 'token', {
      envVar: 'GH_TOKEN',
      preview: '****beef',
      updatedAt: '2030-02-01T00:00:00.000Z',
    });

    await store.put(replaced);

    expect(await store.list(org, workspace)).toEqual([replaced]);
  });

  it('never shows a secret outside its workspace', async () => {
    // Prepare
    const org = uniqueName('org');
    const [a, b] = [uniqueName('ws'), uniqueName('ws')];
    await store.put(makeSecret(org, a, 'api-key'));
    const otherOrg = uniqueName('org');

    // Act
    const seenFromB = await Promise.all([store.get(org, b, 'api-key'), store.list(org, b)]);
    const seenFromOtherOrg = await Promise.all([store.get(otherOrg, a, 'api-key'), store.list(otherOrg, a)]);
    const deletedFromB = await store.delete(org, b, 'api-key');

    // Assess
    expect(seenFromB).toEqual([null, []]);
    expect(seenFromOtherOrg).toEqual([null, []]);
    expect(deletedFromB).toBe(false);
    expect(await store.get(org, a, 'api-key')).not.toBeNull();
  });
});
