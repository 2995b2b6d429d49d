import { describe, expect, it } from 'vitest';
import { runAdminBootstrap } from '#cli/admin-bootstrap';
import type { OrgRecord } from '#domain/org';
import { defaultOrgLimits } from '#domain/org';
import type { ApiKeyRecord } from '#domain/principal';
import { hashApiKey, isWellFormedApiKey } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';

/** The access port in memory: bootstrap's only collaborator. */
class MemoryAccessStore implements AccessStore {
  readonly orgs = new Map<string, Omit<OrgRecord, 'runningCount'>>();
  readonly keys = new Map<string, ApiKeyRecord>();

  async getApiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    return this.keys.get(keyHash) ?? null;
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    this.keys.set(record.keyHash, record);
  }

  async listApiKeys(org: string): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()].filter((k) => k.org === org);
  }

  async revokeApiKey(keyHash: string): Promise<void> {
    const record = this.keys.get(keyHash);
    if (record !== undefined) this.keys.set(keyHash, { ...record, revoked: true });
  }

  async ping(): Promise<void> {}

  async getOrg(org: string): Promise<OrgRecord | null> {
    const record = this.orgs.get(org);
    return record === undefined ? null : { ...record, runningCount: 0 };
  }

  async putOrg(record: Omit<OrgRecord, 'runningCount'>): Promise<void> {
    this.orgs.set(record.org, record);
  }
}

const now = () => new Date('2026-01-01T00:00:00.000Z');

describe('runAdminBootstrap', () => {
  it('creates the org with the default limits and an admin key for every workspace, stored by hash only', async () => {
    // Prepare
    const store = new MemoryAccessStore();

    // Act
    const result = await runAdminBootstrap({ org: 'acme', tableName: 'unused', store, now });

    // Assess
    expect(result.orgCreated).toBe(true);
    expect(isWellFormedApiKey(result.key)).toBe(true);
    expect(store.orgs.get('acme')).toStrictEqual({
      org: 'acme',
      ...defaultOrgLimits,
      createdAt: now().toISOString(),
    });
    const stored = store.keys.get(hashApiKey(result.key));
    expect(stored).toStrictEqual({
      keyId: result.keyId,
      keyHash: hashApiKey(result.key),
      org: 'acme',
      role: 'admin',
      workspaces: ['*'],
      createdAt: now().toISOString(),
      revoked: false,
    });
    expect(JSON.stringify([...store.keys.values()])).not.toContain(result.key);
  });

  it('leaves an existing org’s limits alone and only adds a key', async () => {
    // Prepare
    const store = new MemoryAccessStore();
    const existing = {
      org: 'acme',
      maxConcurrentEnvironments: 5,
      maxLifetimeSec: 600,
      createdAt: '2025-01-01T00:00:00.000Z',
    };
    await store.putOrg(existing);

    // Act
    const result = await runAdminBootstrap({ org: 'acme', tableName: 'unused', store, now });

    // Assess
    expect(result.orgCreated).toBe(false);
    expect(store.orgs.get('acme')).toStrictEqual(existing);
    expect(store.keys.size).toBe(1);
  });
});
