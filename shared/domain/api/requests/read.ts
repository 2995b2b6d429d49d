/**
 * The query of GET environments (the environments-read function).
 */

import { environmentStateSchema, environmentStates } from '#domain/environment';
import { projectId } from '#domain/names';
import * as z from '#shared/zod';
import { preprocess, queryInt } from './query.ts';

/**
 * `?state=` may repeat; repeats are dropped (the store turns the list into a DynamoDB `IN`, which
 * takes at most 100 operands), and more values than there are states cannot all be states.
 */
const stateList = preprocess(
  (v) => (v === undefined ? undefined : [...new Set(Array.isArray(v) ? v : [v])]),
  z.optional(z.array(environmentStateSchema).check(z.maxLength(environmentStates.length))),
);

export const listEnvironmentsQuerySchema = z.strictObject({
  state: stateList,
  project_id: z.optional(projectId),
  page: queryInt(1, 1_000_000, 1),
  limit: queryInt(1, 200, 50),
});
export type ListEnvironmentsQuery = z.infer<typeof listEnvironmentsQuerySchema>;
