import { toSecretResponse } from '#domain/presenters';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { secretsRoutes } from '#shared/routes';
import { deleteSecret, listSecrets, putSecret, type SecretDeps } from '#use-cases/secrets';

/** Workspace secrets: values in, metadata out; a value never leaves through any route. */
export const createSecretsHandler = (
  options: HttpFunctionOptions & {
    readonly deps: SecretDeps;
  },
): ApiHandler => {
  const { deps } = options;
  return httpFunction(
    secretsRoutes,
    {
      putSecret: async ({ path, body, principal }) => {
        const secret = await putSecret(
          {
            principal,
            org: path.org,
            workspace: path.workspace,
            id: path.secret_id,
            value: body.value,
            envVar: body.env_var,
          },
          deps,
        );
        return { body: toSecretResponse(secret) };
      },
      listSecrets: async ({ path, principal }) => ({
        body: { secrets: (await listSecrets({ principal, ...path }, deps)).map(toSecretResponse) },
      }),
      deleteSecret: async ({ path, principal }) => {
        await deleteSecret({ principal, org: path.org, workspace: path.workspace, id: path.secret_id }, deps);
        return {};
      },
    },
    options,
  );
};
