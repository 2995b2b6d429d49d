import { randomBytes } from 'node:crypto';
import * as z from '#shared/zod';
import { sha256Hex } from './digest.ts';

export const roleSchema = z.enum(['admin', 'member']);
export type Role = z.infer<typeof roleSchema>;

/** Who is calling, as the authorizer resolved it from the API key. */
export const principalSchema = z.object({
  keyId: z.string(),
  org: z.string(),
  role: roleSchema,
  /** Workspaces the key may use; `['*']` means every workspace of the org. */
  workspaces: z.array(z.string()),
});
export type Principal = z.infer<typeof principalSchema>;

export interface ApiKeyRecord extends Principal {
  readonly keyHash: string;
  /** What the key is for (`taskenv key create --name`); keys made before names existed have none. */
  readonly name?: string;
  readonly createdAt: string;
  readonly revoked: boolean;
}

const KEY_PATTERN = /^tk_([a-z0-9]{12})_([A-Za-z0-9_-]{32,64})$/;

/** SHA-256 hex of the whole key: the only form in which a key is stored. */
export const hashApiKey = (key: string): string => sha256Hex(key);

/** True when `key` has the `tk_<id>_<secret>` shape; a cheap pre-check before any lookup. */
export const isWellFormedApiKey = (key: string): boolean => KEY_PATTERN.test(key);

/** A fresh key `tk_<12 char id>_<43 char secret>`, its id and hash. The key is shown once. */
export const generateApiKey = (): { key: string; keyId: string; keyHash: string } => {
  const keyId = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const key = `tk_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { key, keyId, keyHash: hashApiKey(key) };
};

/** `admin`: every workspace of its org; `member`: the workspaces its key lists (`['*']`: all). */
export const canUseWorkspace = (principal: Principal, org: string, workspace: string): boolean =>
  principal.org === org &&
  (principal.role === 'admin' ||
    principal.workspaces.includes('*') ||
    principal.workspaces.includes(workspace));
