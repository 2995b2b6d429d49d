/** Lambda: invoking the exec-worker function (asynchronously). */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { execWorkerConfig } from '#shared/wiring/config';
import type { GrantTarget, GrantVariables } from './target.ts';

export const grantExecWorker = (
  fn: GrantTarget,
  worker: Pick<lambda.IFunction, 'functionArn' | 'functionName'>,
): GrantVariables<typeof execWorkerConfig> => {
  fn.addToPolicy(
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [worker.functionArn] }),
  );
  return { EXEC_WORKER_FUNCTION_NAME: worker.functionName };
};
