import type { OrgRecord } from '#domain/org';
import type { ApiKeyRecord } from '#domain/principal';

/** API keys (by hash) and orgs with their limits. */
export interface AccessStore {
  getApiKey(keyHash: string): Promise<ApiKeyRecord | null>;
  putApiKey(record: ApiKeyRecord): Promise<void>;
  /** The keys of `org`, revoked ones included, oldest first. */
  listApiKeys(org: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(keyHash: string): Promise<void>;
  getOrg(org: string): Promise<OrgRecord | null>;
  /** Resolves when the store answers a read (the health check); rejects when it cannot be reached. */
  ping(): Promise<void>;
  /** Creates the org or updates its limits; never touches its running count. */
  putOrg(org: Omit<OrgRecord, 'runningCount'>): Promise<void>;
}
