/**
 * JSON that passes a schema can still break what stores it: DynamoDB refuses empty map keys,
 * nesting past 32 levels and numbers beyond its range, and `__proto__`, `constructor` or
 * `prototype` as a key reaches the object machinery instead of the data (zod's records and any
 * `obj[key] = …` drop or misread them). These checks run on client JSON before it is stored.
 */
import type { FieldError } from './errors.ts';

/** Keys that name the object machinery rather than data. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** DynamoDB's nesting limit for maps and lists (attribute values nest at most 32 levels). */
export const DYNAMODB_MAX_DEPTH = 32;

/** Why `key` cannot be an object key of stored JSON, or null. */
export const objectKeyProblem = (key: string): string | null => {
  if (key === '') return 'Keys must not be empty';
  if (RESERVED_KEYS.has(key)) return `'${key}' cannot be used as a key`;
  return null;
};

/**
 * Every reserved or empty key, every number beyond ±2^53 (beyond that JSON numbers lose their
 * digits, and far beyond it DynamoDB refuses them), and the first place nesting passes
 * `maxDepth` (objects and arrays; the top level is depth 1). Located under `loc`.
 */
export const jsonShapeProblems = (
  value: unknown,
  loc: readonly (string | number)[],
  maxDepth: number,
): FieldError[] => {
  const problems: FieldError[] = [];
  let tooDeep = false;
  const pending: { value: unknown; loc: readonly (string | number)[]; depth: number }[] = [
    { value, loc, depth: 1 },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const current = next.value;
    if (typeof current === 'number') {
      if (!Number.isFinite(current) || Math.abs(current) > Number.MAX_SAFE_INTEGER) {
        problems.push({
          loc: next.loc,
          msg: 'Numbers must be within ±2^53 (9007199254740991)',
          type: 'too_big',
        });
      }
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (next.depth > maxDepth) {
      if (!tooDeep) {
        problems.push({
          loc: next.loc,
          msg: `Must not nest deeper than ${maxDepth} levels`,
          type: 'too_deep',
        });
      }
      tooDeep = true;
      continue;
    }
    // Own keys, `__proto__` included (JSON.parse makes it an own property).
    for (const [key, child] of Object.entries(current)) {
      const childLoc = [...next.loc, Array.isArray(current) ? Number(key) : key];
      const problem = Array.isArray(current) ? null : objectKeyProblem(key);
      if (problem !== null) problems.push({ loc: childLoc, msg: problem, type: 'invalid_key' });
      pending.push({ value: child, loc: childLoc, depth: next.depth + 1 });
    }
  }
  return problems;
};

/**
 * Every `__proto__` key of parsed JSON, as 422 entries under `loc`. Checked on every request body
 * before any schema runs: zod's objects and records skip the key without a word, so a client's
 * `{"inputs": {"__proto__": …}}` would otherwise vanish instead of being refused.
 */
export const protoKeyProblems = (value: unknown, loc: readonly (string | number)[]): FieldError[] => {
  const problems: FieldError[] = [];
  const pending: { value: unknown; loc: readonly (string | number)[] }[] = [{ value, loc }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const current = next.value;
    if (typeof current !== 'object' || current === null) continue;
    for (const [key, child] of Object.entries(current)) {
      const childLoc = [...next.loc, Array.isArray(current) ? Number(key) : key];
      if (key === '__proto__') {
        problems.push({ loc: childLoc, msg: "'__proto__' cannot be used as a key", type: 'invalid_key' });
      }
      pending.push({ value: child, loc: childLoc });
    }
  }
  return problems;
};
