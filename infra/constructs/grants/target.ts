import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { VariablesOf } from '#shared/wiring/config';
import type * as z from '#shared/zod';

/** What a grant module adds rights to: a `ServiceFunction`. */
export interface GrantTarget extends Construct {
  /**
   * Adds a statement to the function's own policy; a statement whose resources hold a wildcard
   * says why in `wildcardReason` (it becomes the cdk-nag acknowledgement of that resource).
   */
  addToPolicy(statement: iam.PolicyStatement, wildcardReason?: string): unknown;
}

/**
 * The variables a grant sets: every required variable of its binding's config fragment (so the
 * compiler holds the grant to what the entry parses), and any of its optional ones.
 */
export type GrantVariables<F extends Record<string, z.core.$ZodType>> = VariablesOf<F> & {
  readonly [K in keyof F]?: string;
};

/** Our own cluster's tasks, and why a wildcard over them is fine. */
export const OUR_TASKS =
  'Tasks of our own cluster only (task ids are random), also held to it by the ecs:cluster condition.';
