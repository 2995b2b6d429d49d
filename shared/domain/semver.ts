/**
 * Task versions: strict `MAJOR.MINOR.PATCH`, nothing else.
 *
 * No prerelease or build metadata, no leading `v`, no leading zeros: one version has exactly
 * one spelling, so string equality is version equality and a version can be a key. Each part
 * is capped at 999999 so that {@link padSemver} fits every version into a fixed width, which
 * makes the DynamoDB sort key of a task version order like the versions themselves.
 */
import * as z from '#shared/zod';

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export const SEMVER_PART_MAX = 999_999;

const PART_WIDTH = String(SEMVER_PART_MAX).length;

/** `0`, or 1 to 6 digits without a leading zero. */
const part = '(0|[1-9][0-9]{0,5})';

const SEMVER_PATTERN = new RegExp(`^${part}\\.${part}\\.${part}$`);

const PADDED_PATTERN = new RegExp(
  `^([0-9]{${PART_WIDTH}})\\.([0-9]{${PART_WIDTH}})\\.([0-9]{${PART_WIDTH}})$`,
);

/** Zod schema for a strict semver string (task manifests, path parameters). */
export const semverSchema = z
  .string()
  .check(
    z.regex(SEMVER_PATTERN, 'Must be a version MAJOR.MINOR.PATCH (each part 0..999999, no leading zeros)'),
  );

/**
 * Parses a strict `MAJOR.MINOR.PATCH` string.
 *
 * @returns the parts, or `undefined` when `s` is not a strict semver (see the module comment).
 */
export const parseSemver = (s: string): Semver | undefined => {
  const match = SEMVER_PATTERN.exec(s);
  if (match === null) {
    return undefined;
  }
  const [, major, minor, patch] = match;
  return { major: Number(major), minor: Number(minor), patch: Number(patch) };
};

/** Whether `s` is a strict `MAJOR.MINOR.PATCH` version. */
export const isSemver = (s: string): boolean => SEMVER_PATTERN.test(s);

/** Writes `v` in its one canonical spelling; the inverse of {@link parseSemver}. */
export const formatSemver = (v: Semver): string => `${v.major}.${v.minor}.${v.patch}`;

/**
 * Orders two versions numerically, part by part (so `1.10.0` is above `1.9.0`).
 *
 * @returns `-1` when `a < b`, `0` when equal, `1` when `a > b`, ready for `Array.prototype.sort`.
 * @throws RangeError when either is not a strict semver: callers validate versions where they
 *   enter the system, so a bad one here is a bug, not a client error.
 */
export const compareSemver = (a: string, b: string): -1 | 0 | 1 => {
  const x = parseOrThrow(a);
  const y = parseOrThrow(b);
  return compareVersionParts([x.major, x.minor, x.patch], [y.major, y.minor, y.patch]);
};

/**
 * The one version order: numeric, part by part, a missing part counting as 0 (`1.2` equals
 * `1.2.0`, `1.10` is above `1.9`). {@link compareSemver} and the client-version gate use it.
 */
export const compareVersionParts = (x: readonly number[], y: readonly number[]): -1 | 0 | 1 => {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
};

/**
 * The fixed-width spelling of a version (`1.10.0` → `000001.000010.000000`): lexical order of
 * padded versions equals {@link compareSemver} order, so it serves as a sort key.
 *
 * @throws RangeError when `v` is not a strict semver.
 */
export const padSemver = (v: string): string => {
  const { major, minor, patch } = parseOrThrow(v);
  return [major, minor, patch].map((n) => String(n).padStart(PART_WIDTH, '0')).join('.');
};

/**
 * The inverse of {@link padSemver}.
 *
 * @throws RangeError when `padded` is not in the padded form, which means a corrupt sort key.
 */
export const unpadSemver = (padded: string): string => {
  const match = PADDED_PATTERN.exec(padded);
  if (match === null) {
    throw new RangeError(`Not a padded version: '${padded}'`);
  }
  const [, major, minor, patch] = match;
  return formatSemver({ major: Number(major), minor: Number(minor), patch: Number(patch) });
};

const parseOrThrow = (s: string): Semver => {
  const parsed = parseSemver(s);
  if (parsed === undefined) {
    throw new RangeError(`Not a version MAJOR.MINOR.PATCH: '${s}'`);
  }
  return parsed;
};
