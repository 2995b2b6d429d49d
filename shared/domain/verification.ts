/**
 * The task's verification as the environment keeps it (`task_verification`: the manifest's
 * config with every answer replaced by its SHA-256, made by {@link redactVerification}), read
 * into the three methods of `docs/api.md`.
 */
import * as z from '#shared/zod';
import { sha256Hex } from './digest.ts';

/** `verification.timeout` when the manifest gives none. */
const DEFAULT_VERIFY_TIMEOUT_SEC = 30;

export type VerificationPlan =
  | { readonly method: 'flag'; readonly kind: 'answer'; readonly digest: string }
  | {
      readonly method: 'flag';
      readonly kind: 'path';
      readonly digest: string;
      readonly path: string;
      readonly service: string | null;
    }
  | {
      readonly method: 'script';
      readonly script: string;
      readonly timeoutSec: number;
      readonly service: string | null;
    };

const sha256Digest = z.string().check(z.regex(/^[0-9a-f]{64}$/));

const flagSchema = z.looseObject({
  method: z.literal('flag'),
  value: sha256Digest,
  path: z.optional(z.string().check(z.minLength(1))),
  service: z.optional(z.string()),
});

const scriptSchema = z.looseObject({
  method: z.literal('script'),
  script: z.string().check(z.minLength(1)),
  timeout: z.optional(z.int().check(z.gte(1), z.lte(600))),
  service: z.optional(z.string()),
});

/** The plan for a redacted verification config; null when it is not one taskenv can run. */
export const verificationPlan = (config: Readonly<Record<string, unknown>>): VerificationPlan | null => {
  const flag = flagSchema.safeParse(config);
  if (flag.success) {
    const { value, path, service } = flag.data;
    return path === undefined
      ? { method: 'flag', kind: 'answer', digest: value }
      : { method: 'flag', kind: 'path', digest: value, path, service: service ?? null };
  }
  const script = scriptSchema.safeParse(config);
  if (script.success) {
    return {
      method: 'script',
      script: script.data.script,
      timeoutSec: script.data.timeout ?? DEFAULT_VERIFY_TIMEOUT_SEC,
      service: script.data.service ?? null,
    };
  }
  return null;
};

/** Whether `candidate`, trimmed, is the answer whose digest is `digest`. Compares digests only. */
export const matchesDigest = (candidate: string, digest: string): boolean =>
  sha256Hex(candidate.trim()) === digest;

/** A shell word for `path`: single-quoted, so no character of it is interpreted. */
export const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** Keys of a verification config that hold the answer; compared case-insensitively. */
const ANSWER_KEYS: ReadonlySet<string> = new Set(['value', 'answer', 'flag', 'expected']);

const redactObject = (object: object): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(object).map(([key, value]: [string, unknown]) => {
      if (!ANSWER_KEYS.has(key.toLowerCase())) {
        return [key, redact(value)];
      }
      // A non-string answer (a number, a list of accepted flags) would leak just the same;
      // hash its JSON form so a client can still compare against it.
      return [key, sha256Hex(typeof value === 'string' ? value : JSON.stringify(value))];
    }),
  );

const redact = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    return value.map(redact);
  }
  if (typeof value === 'object' && value !== null) {
    return redactObject(value);
  }
  return value;
};

/**
 * The verification config as clients see it (`task_verification`): every answer value
 * (`value`, `answer`, `flag`, `expected`, at any depth) replaced by the SHA-256 hex of its
 * UTF-8 text, so a client can check a candidate answer without being handed it. Other keys,
 * such as `method` and `path`, are kept.
 *
 * @returns null when the task has no verification config.
 */
export const redactVerification = (
  verification: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | null => {
  if (verification === null || verification === undefined) {
    return null;
  }
  return redactObject(verification);
};
