/**
 * Keys and pools (the admin function).
 */

import { workspaceSlug } from '#domain/names';
import { MAX_POOL_SIZE } from '#domain/pool';
import { roleSchema } from '#domain/principal';
import * as z from '#shared/zod';
import { component } from '../component.ts';

export const createKeyRequestSchema = component(
  z.strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    role: roleSchema,
    /** `["*"]`: every workspace of the org (an admin key always has every workspace). */
    workspaces: z.array(z.union([z.literal('*'), workspaceSlug])).check(
      z.minLength(1),
      z.maxLength(100),
      z.refine((list) => !list.includes('*') || list.length === 1, 'Use ["*"] alone or a list of workspaces'),
    ),
  }),
  { id: 'CreateKeyRequest' },
);
export type CreateKeyRequest = z.infer<typeof createKeyRequestSchema>;

export const putPoolRequestSchema = component(
  z.strictObject({ size: z.int().check(z.gte(0), z.lte(MAX_POOL_SIZE)) }),
  { id: 'PutPoolRequest' },
);
