/**
 * The body of POST environments (the environments-create function).
 */

import { objectKeyProblem } from '#domain/json-shape';
import { projectId, secretId } from '#domain/names';
import * as z from '#shared/zod';
import { component } from '../component.ts';

/** An input name as a record key: checked here, because the record would drop `__proto__`. */
const inputKey = z.string().check(
  z.superRefine((key, ctx) => {
    const problem = objectKeyProblem(key);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

export const createEnvironmentRequestSchema = component(
  z.strictObject({
    task_ref: z.string().check(z.minLength(1), z.maxLength(256)),
    inputs: z.nullish(z.record(inputKey, z.unknown())),
    project_id: z.nullish(projectId),
    secret_ids: z.nullish(z.array(secretId).check(z.maxLength(50))),
    timeout_sec: z.nullish(z.int().check(z.positive())),
  }),
  { id: 'CreateEnvironmentRequest' },
);
export type CreateEnvironmentRequest = z.infer<typeof createEnvironmentRequestSchema>;
