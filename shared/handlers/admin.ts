import type { PoolResponse } from '#domain/api/responses';
import { toKeyResponse } from '#domain/presenters';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { adminRoutes } from '#shared/routes';
import { createKey, type KeyDeps, listKeys, revokeKey } from '#use-cases/keys';
import { deletePool, getPool, listPools, type PoolsDeps, type PoolView, putPool } from '#use-cases/pools';

const toPoolResponse = ({ pool, warm, starting }: PoolView): PoolResponse => ({
  task_ref: pool.taskRef,
  size: pool.size,
  warm,
  starting,
  claimed_total: pool.claimedTotal,
  updated_at: pool.updatedAt,
});

/**
 * The org's administration: API keys (admin keys only) and warm pools (admins change them,
 * members read them); the route table's roles are enforced by the HTTP chain.
 */
export const createAdminHandler = (
  options: HttpFunctionOptions & { readonly deps: KeyDeps & PoolsDeps },
): ApiHandler => {
  const { deps, logger } = options;
  return httpFunction(
    adminRoutes,
    {
      createKey: async ({ path, body, principal }) => {
        const { record, key } = await createKey({ principal, org: path.org, request: body }, deps);
        logger.info('API key created', { keyId: record.keyId, role: record.role, by: principal.keyId });
        return { body: { ...toKeyResponse(record), key } };
      },
      listKeys: async ({ path, principal }) => ({
        body: { keys: (await listKeys({ principal, org: path.org }, deps)).map(toKeyResponse) },
      }),
      revokeKey: async ({ path, principal }) => {
        await revokeKey({ principal, org: path.org, keyId: path.key_id }, deps);
        logger.info('API key revoked', { keyId: path.key_id, by: principal.keyId });
        return {};
      },
      putPool: async ({ path, body, principal }) => {
        const view = await putPool({ principal, org: path.org, name: path.pool, size: body.size }, deps);
        logger.info('Pool set', { org: path.org, pool: view.pool.name, size: view.pool.size });
        return { body: toPoolResponse(view) };
      },
      listPools: async ({ path, principal }) => ({
        body: { pools: (await listPools({ principal, org: path.org }, deps)).map(toPoolResponse) },
      }),
      getPool: async ({ path, principal }) => ({
        body: toPoolResponse(await getPool({ principal, org: path.org, name: path.pool }, deps)),
      }),
      deletePool: async ({ path, principal }) => {
        await deletePool({ principal, org: path.org, name: path.pool }, deps);
        logger.info('Pool deleted', { org: path.org, pool: path.pool });
        return {};
      },
    },
    options,
  );
};
