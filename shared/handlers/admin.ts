import type { PoolResponse } from '#domain/api/responses';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { deletePool, getPool, listPools, type PoolsDeps, type PoolView, putPool } from '#use-cases/pools';

const toPoolResponse = ({ pool, warm, starting }: PoolView): PoolResponse => ({
  task_ref: pool.taskRef,
  size: pool.size,
  warm,
  starting,
  claimed_total: pool.claimedTotal,
  updated_at: pool.updatedAt,
});

/** The admin function's routes: warm pools (admins change them, members read them). */
export const createAdminHandler = (
  options: HttpFunctionOptions & { readonly deps: PoolsDeps },
): ApiHandler => {
  const { deps, logger } = options;
  return httpFunction(
    'admin',
    {
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
