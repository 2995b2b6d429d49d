/**
 * Path parameters of every route (small: each function builds them all).
 */

import { orgSlug, secretId, workspaceSlug } from '#domain/names';
import * as z from '#shared/zod';

export const orgPathSchema = z.strictObject({ org: orgSlug });
export const workspacePathSchema = z.strictObject({ org: orgSlug, workspace: workspaceSlug });
export const environmentPathSchema = z.extend(workspacePathSchema, { id: z.uuid() });
export const executionPathSchema = z.extend(environmentPathSchema, { execution_id: z.uuid() });
export const secretPathSchema = z.extend(workspacePathSchema, { secret_id: secretId });
/** Key ids are the `<id>` of `tk_<id>_<secret>`. */
export const keyPathSchema = z.extend(orgPathSchema, {
  key_id: z.string().check(z.regex(/^[a-z0-9]{12}$/, 'Must be a key id (12 lowercase letters or digits)')),
});
export const taskPathSchema = z.extend(orgPathSchema, {
  name: z.string().check(z.minLength(1), z.maxLength(160)),
});

/** `{name}@{version}` of a pool: one exact version (`latest` is not a version a pool can hold). */
export const poolPathSchema = z.extend(orgPathSchema, {
  pool: z
    .string()
    .check(
      z.maxLength(160),
      z.regex(/^[a-z0-9][a-z0-9-]*@\d+\.\d+\.\d+$/, 'Must be name@version, e.g. web-sqli@1.2.0'),
    ),
});
