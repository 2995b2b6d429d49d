import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareSemver,
  compareVersionParts,
  formatSemver,
  isSemver,
  padSemver,
  parseSemver,
  SEMVER_PART_MAX,
  semverSchema,
  unpadSemver,
} from '#domain/semver';

/** Small parts come up often so that equal and neighbouring versions are generated, not only huge ones. */
const part = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: SEMVER_PART_MAX }));
const semver = fc.tuple(part, part, part).map(([major, minor, patch]) => `${major}.${minor}.${patch}`);

const lexical = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const notSemver = [
  '',
  '1',
  '1.2',
  '1.2.3.4',
  '01.2.3',
  '1.02.3',
  '1.2.03',
  '00.0.0',
  '1000000.0.0',
  '0.1000000.0',
  '0.0.1000000',
  'v1.2.3',
  '1.2.3-beta.1',
  '1.2.3+build.5',
  ' 1.2.3',
  '1.2.3 ',
  '1.2.3\n',
  '1..3',
  '1.2.',
  '.1.2',
  '-1.2.3',
  '+1.2.3',
  '1.-2.3',
  '1e3.0.0',
  '0x1.0.0',
  '1,2,3',
  '١.٢.٣',
  'latest',
];

describe('parseSemver', () => {
  it.each([
    ['0.0.0', { major: 0, minor: 0, patch: 0 }],
    ['1.2.3', { major: 1, minor: 2, patch: 3 }],
    ['10.20.30', { major: 10, minor: 20, patch: 30 }],
    ['999999.999999.999999', { major: 999999, minor: 999999, patch: 999999 }],
  ])('parses %s into its parts', (input, expected) => {
    expect(parseSemver(input)).toStrictEqual(expected);
  });

  it.each(notSemver)('refuses %j', (input) => {
    expect(parseSemver(input)).toBeUndefined();
    expect(isSemver(input)).toBe(false);
  });

  it('has exactly one spelling per version: format(parse(v)) === v', () => {
    fc.assert(
      fc.property(semver, (v) => {
        const parsed = parseSemver(v);
        expect(parsed).toBeDefined();
        expect(parsed && formatSemver(parsed)).toBe(v);
      }),
    );
  });

  it('agrees with isSemver on arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-') })),
        (s) => {
          expect(isSemver(s)).toBe(parseSemver(s) !== undefined);
        },
      ),
    );
  });
});

describe('semverSchema', () => {
  it('accepts a strict version and refuses a prerelease with a readable message', () => {
    expect(semverSchema.safeParse('1.2.3').success).toBe(true);

    const refused = semverSchema.safeParse('1.2.3-rc.1');

    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/MAJOR\.MINOR\.PATCH/);
  });
});

describe('compareSemver', () => {
  it('orders numerically, not lexically: 1.10.0 > 1.9.0', () => {
    expect(compareSemver('1.10.0', '1.9.0')).toBe(1);
    expect(compareSemver('1.9.0', '1.10.0')).toBe(-1);
  });

  it.each([
    ['2.0.0', '1.999999.999999', 1],
    ['0.2.0', '0.1.9', 1],
    ['0.0.2', '0.0.10', -1],
    ['3.4.5', '3.4.5', 0],
  ] as const)('compares %s with %s as %i', (a, b, expected) => {
    expect(compareSemver(a, b)).toBe(expected);
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(semver, semver, (a, b) => {
        expect(compareSemver(a, b)).toBe(-compareSemver(b, a) || 0);
      }),
    );
  });

  it('is zero exactly for the same version', () => {
    fc.assert(
      fc.property(semver, semver, (a, b) => {
        expect(compareSemver(a, a)).toBe(0);
        expect(compareSemver(a, b) === 0).toBe(a === b);
      }),
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(semver, semver, semver, (a, b, c) => {
        if (compareSemver(a, b) <= 0 && compareSemver(b, c) <= 0) {
          expect(compareSemver(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it('orders by major, then minor, then patch', () => {
    fc.assert(
      fc.property(semver, semver, (a, b) => {
        const [x, y] = [parseSemver(a), parseSemver(b)];
        if (x === undefined || y === undefined) throw new Error('generator produced a non-semver');
        const expected = Math.sign(x.major - y.major || x.minor - y.minor || x.patch - y.patch);
        expect(compareSemver(a, b)).toBe(expected || 0);
      }),
    );
  });

  it('refuses a non-semver with a RangeError, since callers validate first', () => {
    expect(() => compareSemver('1.2', '1.2.0')).toThrow(RangeError);
    expect(() => compareSemver('1.2.0', 'latest')).toThrow(RangeError);
  });
});

describe('padSemver', () => {
  it('writes fixed-width zero-padded parts', () => {
    expect(padSemver('1.10.0')).toBe('000001.000010.000000');
    expect(padSemver('0.0.0')).toBe('000000.000000.000000');
    expect(padSemver('999999.999999.999999')).toBe('999999.999999.999999');
  });

  it('has the same width for every version', () => {
    fc.assert(
      fc.property(semver, (v) => {
        expect(padSemver(v)).toHaveLength(20);
      }),
    );
  });

  it('sorts lexically in semver order', () => {
    fc.assert(
      fc.property(semver, semver, (a, b) => {
        expect(lexical(padSemver(a), padSemver(b))).toBe(compareSemver(a, b));
      }),
    );
  });

  it('puts 1.10.0 after 1.9.0 as a sort key, where the plain strings would not', () => {
    // Prepare
    const versions = ['1.10.0', '1.9.0', '0.10.1', '10.0.0', '2.0.0'];

    // Act
    const sortedByKey = versions
      .map(padSemver)
      .sort()
      .map((key) => unpadSemver(key));

    // Assess
    expect(sortedByKey).toStrictEqual(['0.10.1', '1.9.0', '1.10.0', '2.0.0', '10.0.0']);
    expect([...versions].sort()).not.toStrictEqual(sortedByKey);
  });

  it('sorts a whole list the same way compareSemver does', () => {
    fc.assert(
      fc.property(fc.array(semver), (versions) => {
        const bySortKey = versions.map(padSemver).sort().map(unpadSemver);
        const byCompare = [...versions].sort(compareSemver);
        expect(bySortKey).toStrictEqual(byCompare);
      }),
    );
  });

  it('refuses a non-semver with a RangeError', () => {
    expect(() => padSemver('1.2.3-beta')).toThrow(RangeError);
    expect(() => padSemver('1000000.0.0')).toThrow(RangeError);
  });
});

describe('unpadSemver', () => {
  it('inverts padSemver', () => {
    fc.assert(
      fc.property(semver, (v) => {
        expect(unpadSemver(padSemver(v))).toBe(v);
      }),
    );
  });

  it('reads a padded key back into the canonical spelling', () => {
    expect(unpadSemver('000001.000010.000000')).toBe('1.10.0');
  });

  it.each([
    '1.10.0',
    '00001.000010.000000',
    '000001.000010.0000000',
    '000001-000010-000000',
    'V#000001.000010.000000',
    '',
  ])('refuses the corrupt key %j with a RangeError', (key) => {
    expect(() => unpadSemver(key)).toThrow(RangeError);
  });
});

describe('refusal messages', () => {
  it('quote the value that is not a version, or not a padded one', () => {
    expect(() => padSemver('1.2')).toThrow(new RangeError("Not a version MAJOR.MINOR.PATCH: '1.2'"));
    expect(() => unpadSemver('1.10.0')).toThrow(new RangeError("Not a padded version: '1.10.0'"));
  });
});

describe('compareVersionParts', () => {
  it('counts a missing part as 0, whichever side misses it', () => {
    expect(compareVersionParts([1, 2], [1, 2, 1])).toBe(-1);
    expect(compareVersionParts([1, 2, 1], [1, 2])).toBe(1);
    expect(compareVersionParts([1, 2, 0], [1, 2])).toBe(0);
  });
});
