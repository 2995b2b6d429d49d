/**
 * The update expressions of an environment's writes: the state change with its conditions, the
 * patch of the fields that may change after creation, the event-version guard.
 */
import type { EnvironmentState } from '#domain/environment';
import type { EnvironmentPatch, StateChange } from '#ports/environment-store';
import { liveSortKey } from './keys.ts';
import { Expression } from './update-expression.ts';

/**
 * Every field a write after creation can set, besides `state`, `updatedAt` and `eventVersion`
 * (typed so that a field added to the patch must be added here).
 */
export const patchFields: { readonly [F in keyof Required<EnvironmentPatch>]: F } = {
  taskArn: 'taskArn',
  expiresAt: 'expiresAt',
  serviceUrls: 'serviceUrls',
  instruction: 'instruction',
  instructionTemplate: 'instructionTemplate',
  error: 'error',
  stopReason: 'stopReason',
  launchAttempts: 'launchAttempts',
  launchRetryAt: 'launchRetryAt',
};

/** Records the event's version and, as the condition it returns, demands that it be newer. */
export const newerEvent = (expression: Expression, eventVersion: number, orSame = false): string => {
  const version = expression.value(eventVersion);
  expression.set('eventVersion', version);
  return `${expression.name('eventVersion')} ${orSame ? '<=' : '<'} ${version}`;
};

/** The state write and its conditions, shared by both kinds of transition. */
export const stateChange = (
  change: StateChange,
  allowedBefore: readonly EnvironmentState[],
  now: Date,
): Expression => {
  const expression = new Expression();
  // The operand is the value before this update: the exact state this write replaces.
  expression.set('previousState', expression.name('state'));
  expression.set('state', expression.value(change.to));
  expression.set('updatedAt', expression.value(now.toISOString()));
  expression.conditions.push(
    `${expression.name('state')} IN (${allowedBefore.map((s) => expression.value(s)).join(', ')})`,
  );
  if (change.eventVersion !== undefined) {
    expression.conditions.push(newerEvent(expression, change.eventVersion, change.orSameVersion === true));
  }
  return expression;
};

/** Only the fields the patch type names are written; anything else on the object is ignored. */
export const applyPatch = (
  expression: Expression,
  id: string,
  patch: EnvironmentPatch,
  { live }: { live: boolean },
) => {
  expression.patch('taskArn', patch.taskArn);
  expression.patch('expiresAt', patch.expiresAt);
  expression.patch('serviceUrls', patch.serviceUrls);
  expression.patch('instruction', patch.instruction);
  expression.patch('instructionTemplate', patch.instructionTemplate);
  expression.patch('error', patch.error);
  expression.patch('stopReason', patch.stopReason);
  expression.patch('launchAttempts', patch.launchAttempts);
  expression.patch('launchRetryAt', patch.launchRetryAt);
  // The reconciler reads live environments in expiry order, so the index key follows expiresAt.
  if (live && patch.expiresAt !== undefined) {
    expression.set('gsi3sk', expression.value(liveSortKey(id, patch.expiresAt)));
  }
};
