/** Secrets Manager: the workspace secrets under our name prefix. */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { secretsConfig } from '#shared/wiring/config';
import type { Bindings } from '#shared/wiring/functions';
import type { GrantTarget, GrantVariables } from './target.ts';

/**
 * `read`: GetSecretValue. `manage`: create, replace, restore, delete and tag, never read. The
 * secrets use the account's `aws/secretsmanager` key, whose policy already lets Secrets Manager
 * use it for callers of this account, so no KMS statement is needed.
 */
export const grantSecrets = (
  fn: GrantTarget,
  prefix: string,
  access: NonNullable<Bindings['secrets']>,
): GrantVariables<typeof secretsConfig> => {
  const secrets = Stack.of(fn).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}/*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToPolicy(
    new iam.PolicyStatement({
      actions:
        access === 'read'
          ? ['secretsmanager:GetSecretValue']
          : [
              'secretsmanager:CreateSecret',
              'secretsmanager:PutSecretValue',
              'secretsmanager:RestoreSecret',
              'secretsmanager:DeleteSecret',
              // CreateSecret with Tags needs TagResource too.
              'secretsmanager:TagResource',
            ],
      resources: [secrets],
    }),
    'Workspace secrets are created at run time as <prefix>/<org>/<workspace>/<id>; the prefix is ours.',
  );
  return { SECRETS_PREFIX: prefix };
};
