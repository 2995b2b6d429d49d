import { toKeyResponse } from '#domain/presenters';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { createKey, type KeyDeps, listKeys, revokeKey } from '#use-cases/keys';

/** The org's administration: API keys (admin keys only, enforced by the route table's role). */
export const createAdminHandler = (options: HttpFunctionOptions & { readonly deps: KeyDeps }): ApiHandler => {
  const { deps, logger } = options;
  return httpFunction(
    'admin',
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
    },
    options,
  );
};
