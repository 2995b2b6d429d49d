import type { PoolStore } from '#ports/pool-store';

/**
 * `store` with its all-pools listing (the keeper's and the reconciler's) held to one org, so a
 * test file sharing the table with others sees only its own pools.
 */
export const poolsOfOrg = (store: PoolStore, org: () => string): PoolStore => ({
  putPool: (pool, now) => store.putPool(pool, now),
  getPool: (o, name) => store.getPool(o, name),
  listPools: (o) => store.listPools(o),
  listAllPools: async () => (await store.listAllPools()).filter((p) => p.org === org()),
  deletePool: (o, name) => store.deletePool(o, name),
  createSlot: (slot) => store.createSlot(slot),
  listSlots: (o, pool) => store.listSlots(o, pool),
  findSlot: (id) => store.findSlot(id),
  moveSlot: (key, change) => store.moveSlot(key, change),
  updateSlot: (key, set, options) => store.updateSlot(key, set, options),
  claim: (slot, environment, quota) => store.claim(slot, environment, quota),
});
