import type { OrgRecord } from '#domain/org';
import type { ApiKeyRecord } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';
import type { Clock } from '#ports/clock';
import { TtlCache } from './ttl-cache.ts';

/**
 * An {@link AccessStore} that keeps `getOrg` answers (an org's limits) for `ttlMs`, for the
 * create path of a warm function. Staleness, bounded by `ttlMs`: a changed quota or maximum
 * lifetime applies to this function's creates within `ttlMs` of the change (the quota itself is
 * enforced by the store's conditional write against the limit it is given, so a raised limit
 * admits more within `ttlMs`, a lowered one refuses within `ttlMs`). The `runningCount` of a kept
 * answer is as old as the answer: the create path never reads it. API keys are never kept: a
 * revocation must hold at once.
 */
export class CachedOrgLimits implements AccessStore {
  readonly #inner: AccessStore;
  readonly #orgs: TtlCache<OrgRecord | null>;

  constructor(inner: AccessStore, options: { readonly ttlMs: number; readonly clock: Clock }) {
    this.#inner = inner;
    this.#orgs = new TtlCache(options);
  }

  getOrg(org: string): Promise<OrgRecord | null> {
    return this.#orgs.get(org, () => this.#inner.getOrg(org));
  }

  getApiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    return this.#inner.getApiKey(keyHash);
  }

  putApiKey(record: ApiKeyRecord): Promise<void> {
    return this.#inner.putApiKey(record);
  }

  listApiKeys(org: string): Promise<ApiKeyRecord[]> {
    return this.#inner.listApiKeys(org);
  }

  revokeApiKey(keyHash: string): Promise<void> {
    return this.#inner.revokeApiKey(keyHash);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  async putOrg(record: Omit<OrgRecord, 'runningCount'>): Promise<void> {
    await this.#inner.putOrg(record);
    this.#orgs.forget(record.org);
  }
}
