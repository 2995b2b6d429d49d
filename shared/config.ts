/**
 * Function configuration from environment variables: one zod schema per function, parsed once
 * at cold start. A misconfigured deployment fails on its first invocation with a message that
 * names every offending variable, instead of limping along on a fallback value.
 */
import * as z from '#shared/zod';

/** The environment of a function is not what its schema requires. */
export class ConfigError extends Error {
  /** Variables that are required but absent (or empty). */
  readonly missing: readonly string[];
  /** Variables that are present but invalid, with why. */
  readonly invalid: readonly string[];

  constructor(missing: readonly string[], invalid: readonly string[]) {
    const parts = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(invalid.length > 0 ? [`invalid ${invalid.join('; ')}`] : []),
    ];
    super(`Configuration error: ${parts.join('; ')}`);
    this.name = 'ConfigError';
    this.missing = missing;
    this.invalid = invalid;
  }
}

/**
 * Parses `env` (default `process.env`) with `schema`. Empty strings count as absent: a
 * deployment that sets `TABLE_NAME=` has forgotten it, and a default must not paper over that.
 *
 * @throws ConfigError naming every missing and every invalid variable (values are never
 * echoed: some variables are ARNs or ids a log line need not carry).
 */
export const parseConfig = <S extends z.core.$ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.output<S> => {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = z.safeParse(schema, present);
  if (result.success) {
    return result.data;
  }
  const missing = new Set<string>();
  const invalid: string[] = [];
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? '(root)');
    if (!(name in present)) {
      missing.add(name);
    } else {
      invalid.push(`${name}: ${issue.message}`);
    }
  }
  throw new ConfigError([...missing].sort(), invalid);
};

/** A comma-separated list (`subnet-a,subnet-b`); blanks around items are dropped, at least one item. */
export const commaList = (): z.ZodMiniType<string[], string> =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((text: string) =>
        text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
      ),
    ),
    z.array(z.string()).check(z.minLength(1, 'Must name at least one item')),
  );

/** `true` or `false`, exactly: `"0"`, `"no"` or a typo must not silently mean false. */
export const booleanFlag = (): z.ZodMiniType<boolean, string> =>
  z.pipe(
    z.enum(['true', 'false']),
    z.transform((text: 'true' | 'false') => text === 'true'),
  );
