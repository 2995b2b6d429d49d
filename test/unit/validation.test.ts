/** zod issues as the `errors[]` of a 422 (`docs/api.md`, "Errors"): where, what and which type. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#domain/errors';
import { parseOrThrow } from '#domain/validation';
import * as z from '#shared/zod';

/** The `errors` of the ValidationError that parsing `value` throws. */
const errorsOf = (
  schema: z.core.$ZodType,
  value: unknown,
  location: Parameters<typeof parseOrThrow>[2] = 'body',
) => {
  try {
    parseOrThrow(schema, value, location);
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
};

describe('parseOrThrow', () => {
  it('returns the parsed value, defaults applied', () => {
    const schema = z.object({ n: z._default(z.int(), 7), s: z.string() });
    expect(parseOrThrow(schema, { s: 'x' }, 'body')).toEqual({ n: 7, s: 'x' });
  });

  it('names the expected type of a wrong-typed field, under the location and its path', () => {
    const schema = z.object({
      s: z.string(),
      b: z.boolean(),
      o: z.object({}),
      a: z.array(z.string()),
      z: z.null(),
      n: z.number(),
      big: z.bigint(),
    });
    const errors = errorsOf(schema, { s: 1, b: 1, o: 1, a: 1, z: 1, n: 'x', big: 1 }, 'query');
    expect(errors).toEqual([
      { loc: ['query', 's'], msg: 'Expected string', type: 'invalid_type' },
      { loc: ['query', 'b'], msg: 'Expected boolean', type: 'invalid_type' },
      { loc: ['query', 'o'], msg: 'Expected object', type: 'invalid_type' },
      { loc: ['query', 'a'], msg: 'Expected array', type: 'invalid_type' },
      { loc: ['query', 'z'], msg: 'Expected null', type: 'invalid_type' },
      { loc: ['query', 'n'], msg: 'Expected number', type: 'invalid_type' },
      { loc: ['query', 'big'], msg: 'Expected bigint', type: 'invalid_type' },
    ]);
  });

  it('says integer where the schema only admits integers, whatever was sent', () => {
    const schema = z.object({
      int: z.int(),
      int32: z.int32(),
      whole: z.number().check(z.multipleOf(1)),
      half: z.number().check(z.multipleOf(0.5)),
      float: z.float32(),
    });
    const errors = errorsOf(schema, { int: 'abc', int32: 'abc', whole: 'abc', half: 'abc', float: 'abc' });
    expect(errors.map((e) => [e.loc, e.msg])).toEqual([
      [['body', 'int'], 'Expected integer'],
      [['body', 'int32'], 'Expected integer'],
      [['body', 'whole'], 'Expected integer'],
      [['body', 'half'], 'Expected number'],
      [['body', 'float'], 'Expected number'],
    ]);
    expect(errorsOf(z.int(), 1.5, 'path')).toEqual([
      { loc: ['path'], msg: 'Expected integer', type: 'invalid_type' },
    ]);
  });

  it('says number where a bound is all the schema knows, and keeps the bound message of an integer', () => {
    const schema = z.object({ count: z.int().check(z.gte(1)), ratio: z.number().check(z.gte(1)) });
    expect(errorsOf(schema, { count: 0, ratio: 'x' })).toEqual([
      { loc: ['body', 'count'], msg: 'Too small: expected number to be >=1', type: 'too_small' },
      { loc: ['body', 'ratio'], msg: 'Expected number', type: 'invalid_type' },
    ]);
  });

  it("keeps zod's message for an integer out of its format's range", () => {
    expect(errorsOf(z.int32(), 2 ** 40)).toEqual([
      { loc: ['body'], msg: 'Too big: expected number to be <=2147483647', type: 'too_big' },
    ]);
  });

  it('writes a symbol key of the path as its description', () => {
    const key = Symbol('k');
    expect(errorsOf(z.record(z.symbol(), z.string()), { [key]: 1 })).toEqual([
      { loc: ['body', 'Symbol(k)'], msg: 'Expected string', type: 'invalid_type' },
    ]);
  });

  it('locates each unknown field at its own key', () => {
    const schema = z.strictObject({ items: z.array(z.strictObject({ id: z.string() })) });
    expect(errorsOf(schema, { items: [{ id: 'a' }, { id: 'b', x: 1, y: 2 }] }, 'inputs')).toEqual([
      { loc: ['inputs', 'items', 1, 'x'], msg: 'Unknown field', type: 'unrecognized_keys' },
      { loc: ['inputs', 'items', 1, 'y'], msg: 'Unknown field', type: 'unrecognized_keys' },
    ]);
  });

  it("keeps zod's message for any other issue", () => {
    expect(errorsOf(z.object({ name: z.string().check(z.minLength(3)) }), { name: 'ab' }, 'header')).toEqual([
      {
        loc: ['header', 'name'],
        msg: 'Too small: expected string to have >=3 characters',
        type: 'too_small',
      },
    ]);
  });
});
