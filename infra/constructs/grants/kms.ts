/** KMS: the HMAC key execute tokens are derived and checked with. */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { executeTokenConfig } from '#shared/wiring/config';
import type { ExecuteTokenOperation } from '#shared/wiring/functions';
import type { GrantTarget, GrantVariables } from './target.ts';

/** The KMS HMAC key of the execute tokens. */
export type ExecuteTokenKeyRef = Pick<kms.IKey, 'keyArn'>;

/** Grants GenerateMac (`issue`) and/or VerifyMac (`verify`) on the execute-token key. */
export const grantExecuteTokens = (
  fn: GrantTarget,
  key: ExecuteTokenKeyRef,
  operations: readonly ExecuteTokenOperation[],
): GrantVariables<typeof executeTokenConfig> => {
  const actions = { issue: 'kms:GenerateMac', verify: 'kms:VerifyMac' } as const;
  fn.addToPolicy(
    new iam.PolicyStatement({ actions: operations.map((o) => actions[o]), resources: [key.keyArn] }),
  );
  return { EXECUTE_TOKEN_KEY_ID: key.keyArn };
};
