/**
 * Helpers of the query-string schemas: query values arrive as strings.
 */
import * as z from '#shared/zod';

/** classic zod's `z.preprocess(fn, schema)`: a pipe from a transform into `schema`. */
export const preprocess = <S extends z.core.$ZodType>(fn: (value: unknown) => unknown, schema: S) =>
  z.pipe(z.transform(fn), schema);

export const queryInt = (min: number, max: number, fallback: number) =>
  preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z._default(z.int().check(z.gte(min), z.lte(max)), fallback),
  );
