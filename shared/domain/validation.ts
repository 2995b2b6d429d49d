import * as z from '#shared/zod';
import { type FieldError, ValidationError } from './errors.ts';

/** Where a value came from; the first element of every 422 `loc`. */
export type Location = 'body' | 'query' | 'path' | 'header' | 'inputs';

const typeNames: Record<string, string> = {
  int: 'integer',
  number: 'number',
  string: 'string',
  boolean: 'boolean',
  object: 'object',
  array: 'array',
  null: 'null',
};

/**
 * zod checks the JS type before the integer check, so `"abc"` sent to an integer field reports
 * `expected: "number"`; only the failing schema knows it wants an integer, and it is gone once the
 * issue is final. This parse-time error map records it in the message, which {@link describe} keeps.
 */
const EXPECTED_INTEGER = 'Expected integer';

interface CheckDef {
  readonly check?: string;
  readonly format?: string;
  readonly value?: unknown;
}

/**
 * Whether `schema` only admits integers: an integer format check (`z.int()`, which is its own
 * first check) or an integral `multipleOf`. This is the rule of classic zod's `isInt`, which
 * `zod/mini` schemas do not carry.
 */
const isIntegerSchema = (schema: z.core.$ZodType): boolean => {
  const { def, traits } = schema._zod;
  const own = traits.has('$ZodCheck') ? [schema as unknown as z.core.$ZodCheck] : [];
  return [...own, ...(def.checks ?? [])].some((check) => {
    const { check: kind, format, value } = check._zod.def as CheckDef;
    return (
      (kind === 'number_format' && format !== undefined && format.includes('int')) ||
      (kind === 'multiple_of' && Number.isSafeInteger(value))
    );
  });
};

const integerAwareErrors: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' &&
  issue.expected === 'number' &&
  issue.inst !== undefined &&
  isIntegerSchema(issue.inst as z.core.$ZodType)
    ? EXPECTED_INTEGER
    : undefined;

const describe = (issue: z.core.$ZodIssue): string => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.message === EXPECTED_INTEGER) return EXPECTED_INTEGER;
      return `Expected ${typeNames[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys':
      return 'Unknown field';
    default:
      return issue.message;
  }
};

/** Turns zod issues into `errors[]` entries located under `location` (`["body", "timeout_sec"]`). */
export const fieldErrors = (issues: readonly z.core.$ZodIssue[], location: Location): FieldError[] =>
  issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      // One entry per unknown key, located at the key itself, so a client sees which field to drop.
      return issue.keys.map((key) => ({
        loc: [location, ...path, key],
        msg: describe(issue),
        type: issue.code,
      }));
    }
    return [{ loc: [location, ...path], msg: describe(issue), type: issue.code }];
  });

/** Parses `value` with `schema`, throwing a 422 {@link ValidationError} located under `location`. */
export const parseOrThrow = <S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  location: Location,
): z.output<S> => {
  const result = z.safeParse(schema, value, { error: integerAwareErrors });
  if (!result.success) {
    throw new ValidationError(fieldErrors(result.error.issues, location));
  }
  return result.data;
};
