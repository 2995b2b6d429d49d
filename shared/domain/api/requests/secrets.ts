/**
 * The body of PUT secret (the secrets function).
 */

import { envVarProblem, secretValueProblem } from '#domain/env-var';
import * as z from '#shared/zod';
import { component } from '../component.ts';

export const putSecretRequestSchema = component(
  z.strictObject({
    value: z.string().check(
      z.minLength(1),
      z.maxLength(64 * 1024),
      z.superRefine((value, ctx) => {
        const problem = secretValueProblem(value);
        // `input` left out on purpose: the issue must not carry the value.
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: undefined });
      }),
    ),
    env_var: z.optional(
      z.string().check(
        z.maxLength(128),
        z.superRefine((name, ctx) => {
          const problem = envVarProblem(name);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }),
      ),
    ),
  }),
  { id: 'PutSecretRequest' },
);
