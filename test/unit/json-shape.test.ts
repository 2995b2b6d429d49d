/**
 * The shape rules client JSON must pass before it is stored (`shared/domain/json-shape.ts`):
 * what DynamoDB refuses (empty keys, deep nesting, huge numbers) and the keys that reach the
 * object machinery. Each entry is what a client reads in its 422.
 */
import { describe, expect, it } from 'vitest';
import {
  DYNAMODB_MAX_DEPTH,
  jsonShapeProblems,
  objectKeyProblem,
  protoKeyProblems,
} from '#domain/json-shape';

/** `depth` levels of `{ "a": … }` around `leaf`. */
const nested = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('objectKeyProblem', () => {
  it('refuses the empty key and the three machinery keys, and nothing else', () => {
    expect(objectKeyProblem('')).toBe('Keys must not be empty');
    expect(objectKeyProblem('__proto__')).toBe("'__proto__' cannot be used as a key");
    expect(objectKeyProblem('constructor')).toBe("'constructor' cannot be used as a key");
    expect(objectKeyProblem('prototype')).toBe("'prototype' cannot be used as a key");
    expect(objectKeyProblem('proto')).toBeNull();
    expect(objectKeyProblem(' ')).toBeNull();
  });
});

describe('jsonShapeProblems', () => {
  it('accepts ordinary JSON', () => {
    expect(
      jsonShapeProblems({ user: 'admin', level: 3, tags: ['a', 'b'], on: true, none: null }, [], 32),
    ).toEqual([]);
  });

  it('refuses numbers past ±2^53 and non-finite ones, at their location', () => {
    expect(
      jsonShapeProblems({ n: Number.MAX_SAFE_INTEGER, m: -Number.MAX_SAFE_INTEGER }, ['inputs'], 32),
    ).toEqual([]);
    const msg = 'Numbers must be within ±2^53 (9007199254740991)';
    expect(jsonShapeProblems({ n: 2 ** 53 }, ['inputs'], 32)).toEqual([
      { loc: ['inputs', 'n'], msg, type: 'too_big' },
    ]);
    expect(jsonShapeProblems([-(2 ** 53)], ['inputs'], 32)).toEqual([
      { loc: ['inputs', 0], msg, type: 'too_big' },
    ]);
    expect(jsonShapeProblems(Number.POSITIVE_INFINITY, ['x'], 32)).toEqual([
      { loc: ['x'], msg, type: 'too_big' },
    ]);
    expect(jsonShapeProblems(Number.NaN, ['x'], 32)).toEqual([{ loc: ['x'], msg, type: 'too_big' }]);
  });

  it('names every reserved or empty object key, but not array indexes', () => {
    const value = JSON.parse('{"": 1, "ok": {"constructor": 2, "list": ["__proto__"]}, "__proto__": {}}');
    expect(jsonShapeProblems(value, ['inputs'], 32)).toEqual([
      { loc: ['inputs', ''], msg: 'Keys must not be empty', type: 'invalid_key' },
      { loc: ['inputs', '__proto__'], msg: "'__proto__' cannot be used as a key", type: 'invalid_key' },
      {
        loc: ['inputs', 'ok', 'constructor'],
        msg: "'constructor' cannot be used as a key",
        type: 'invalid_key',
      },
    ]);
  });

  it('allows exactly maxDepth levels and reports the first place past it once', () => {
    expect(DYNAMODB_MAX_DEPTH).toBe(32);
    // The top level is depth 1: 3 objects nest 3 levels.
    expect(jsonShapeProblems(nested(3, 1), [], 3)).toEqual([]);
    expect(jsonShapeProblems(nested(4, 1), ['inputs'], 3)).toEqual([
      { loc: ['inputs', 'a', 'a', 'a'], msg: 'Must not nest deeper than 3 levels', type: 'too_deep' },
    ]);
    // Two branches too deep: one entry, not one per branch.
    expect(jsonShapeProblems({ x: nested(3, 1), y: nested(3, 1) }, [], 3)).toHaveLength(1);
    // A leaf past the limit is no deeper object: only objects and arrays count.
    expect(jsonShapeProblems(nested(3, 'deep'), [], 3)).toEqual([]);
    expect(jsonShapeProblems(nested(3, [1]), [], 3)).toEqual([
      { loc: ['a', 'a', 'a'], msg: 'Must not nest deeper than 3 levels', type: 'too_deep' },
    ]);
  });
});

describe('protoKeyProblems', () => {
  it('finds every __proto__ key at any depth, and only that key', () => {
    const value = JSON.parse(
      '{"inputs": {"__proto__": {"x": 1}, "constructor": 1, "list": [{"__proto__": 2}, "__proto__"]}}',
    );
    expect(protoKeyProblems(value, [])).toEqual([
      { loc: ['inputs', '__proto__'], msg: "'__proto__' cannot be used as a key", type: 'invalid_key' },
      {
        loc: ['inputs', 'list', 0, '__proto__'],
        msg: "'__proto__' cannot be used as a key",
        type: 'invalid_key',
      },
    ]);
    expect(protoKeyProblems({ a: [1, null, 'x'] }, ['body'])).toEqual([]);
    expect(protoKeyProblems('text', ['body'])).toEqual([]);
  });
});
