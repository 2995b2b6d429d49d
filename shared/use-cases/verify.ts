import type { VerifyResponse } from '#domain/api-schemas';
import { ValidationError } from '#domain/errors';
import { EXECUTION_GRACE_SEC } from '#domain/execution';
import { verifiedEvent } from '#domain/integration-event';
import { matchesDigest, shellQuote, verificationPlan } from '#domain/verification';
import type { VerifiedEventPublisher } from '#ports/event-publisher';
import { type EnvironmentAddress, getEnvironment } from './environments.ts';
import { assertReady, type ExecutionDeps, resolveService, startExecution } from './execute.ts';

export interface VerifyDeps extends ExecutionDeps {
  readonly verifiedEvents: VerifiedEventPublisher;
  readonly onDeferredFailure?: (step: string, error: unknown) => void;
}

const noVerification = () =>
  new ValidationError(
    [
      {
        loc: ['path', 'id'],
        msg: 'The task of this environment has no verification',
        type: 'no_verification',
      },
    ],
    'The task has no verification',
  );

/**
 * POST verify: runs the task's verification against a ready environment, records the result on
 * it and announces it. Answers are compared as SHA-256 digests only: the flag is in no record,
 * response, log line or event (a flag file is read by an execution that keeps only its digest).
 */
export const verifyEnvironment = async (
  input: EnvironmentAddress & { readonly answer: string | undefined },
  deps: VerifyDeps,
): Promise<VerifyResponse> => {
  const env = await getEnvironment(input, deps);
  const plan = env.taskVerification === null ? null : verificationPlan(env.taskVerification);
  if (plan === null) throw noVerification();
  const taskArn = assertReady(env, 'verify');
  let passed: boolean;
  let exitCode: number | null = null;
  let output: string | null = null;
  if (plan.method === 'flag' && plan.kind === 'answer') {
    if (input.answer === undefined) {
      throw new ValidationError([
        { loc: ['body', 'answer'], msg: 'Required for this task', type: 'missing' },
      ]);
    }
    passed = matchesDigest(input.answer, plan.digest);
  } else {
    const service = await resolveService(env, plan.service, ['path', 'id'], deps);
    const timeoutSec = plan.method === 'script' ? plan.timeoutSec : 30;
    const run = await startExecution(
      {
        env,
        taskArn,
        service,
        command: plan.method === 'script' ? plan.script : `cat -- ${shellQuote(plan.path)}`,
        timeoutSec,
        envVars: {},
        workdir: null,
        purpose: plan.method === 'script' ? 'verify-script' : 'digest',
        // Verify answers with the result, however long the check takes (bounded by its timeout).
        waitMs: (timeoutSec + EXECUTION_GRACE_SEC) * 1000,
      },
      deps,
    );
    const execution = run.execution;
    if (plan.method === 'script') {
      passed = execution.exitCode === 0;
      exitCode = execution.exitCode;
      output = execution.output;
    } else {
      // The execution kept only the digest of the trimmed file.
      passed = execution.exitCode === 0 && execution.output === plan.digest;
    }
  }
  const verifiedAt = deps.clock.now().toISOString();
  await deps.executions.recordVerification(env.id, { passed, verifiedAt });
  await deps.verifiedEvents
    .publishVerified(verifiedEvent(env, { passed, method: plan.method, verifiedAt }))
    .catch((error: unknown) => deps.onDeferredFailure?.('publish-verified', error));
  return { passed, method: plan.method, verified_at: verifiedAt, exit_code: exitCode, output };
};
