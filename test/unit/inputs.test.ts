import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FieldError, ValidationError } from '#domain/errors';
import { inputValueProblem, validateInputs } from '#domain/inputs';
import type { TaskManifest } from '#domain/manifest';

/** The inputs of the example manifest (`docs/design.md`, "Task manifest"). */
const designInputs: TaskManifest['inputs'] = {
  user: { type: 'string', default: 'admin', description: 'account to take over' },
  level: { type: 'integer', required: true, minimum: 1, maximum: 5 },
};

const fieldErrorsOf = (act: () => unknown): readonly FieldError[] => {
  try {
    act();
  } catch (error) {
    if (error instanceof ValidationError) {
      return error.errors;
    }
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
};

describe('validateInputs', () => {
  describe('defaults and presence', () => {
    it('applies a default when the input is not given', () => {
      expect(validateInputs(designInputs, { level: 3 })).toEqual({ user: 'admin', level: 3 });
    });

    it('prefers the given value over the default', () => {
      expect(validateInputs(designInputs, { user: 'alice', level: 1 })).toEqual({ user: 'alice', level: 1 });
    });

    it('treats a null value as not given', () => {
      expect(validateInputs(designInputs, { user: null, level: 2 })).toEqual({ user: 'admin', level: 2 });
    });

    it('applies defaults when the request has no inputs at all', () => {
      const declared: TaskManifest['inputs'] = { user: { type: 'string', default: 'admin' } };

      expect(validateInputs(declared, null)).toEqual({ user: 'admin' });
      expect(validateInputs(declared, undefined)).toEqual({ user: 'admin' });
      expect(validateInputs(declared, {})).toEqual({ user: 'admin' });
    });

    it('leaves out an optional input without a default', () => {
      const bound = validateInputs({ hint: { type: 'string' } }, {});

      expect(bound).toEqual({});
      expect(Object.hasOwn(bound, 'hint')).toBe(false);
    });

    it('reports a missing required input', () => {
      expect(fieldErrorsOf(() => validateInputs(designInputs, { user: 'bob' }))).toEqual([
        { loc: ['body', 'inputs', 'level'], msg: 'Required input', type: 'missing' },
      ]);
    });

    it('accepts a task without inputs and an empty request', () => {
      expect(validateInputs({}, null)).toEqual({});
    });
  });

  describe('unknown inputs', () => {
    it('rejects an input the task does not declare, at its key', () => {
      expect(fieldErrorsOf(() => validateInputs(designInputs, { level: 2, x: 1 }))).toEqual([
        {
          loc: ['body', 'inputs', 'x'],
          msg: 'Unknown input: the task does not declare it',
          type: 'unknown_input',
        },
      ]);
    });

    it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
      'does not mistake the prototype property %j for a declared input',
      (name) => {
        // Prepare: JSON.parse makes `__proto__` an own key, as a request body would.
        const given = JSON.parse(`{"level": 2, ${JSON.stringify(name)}: "x"}`) as Record<string, unknown>;

        // Act
        const errors = fieldErrorsOf(() => validateInputs(designInputs, given));

        // Assess
        expect(errors).toEqual([
          expect.objectContaining({ loc: ['body', 'inputs', name], type: 'unknown_input' }),
        ]);
      },
    );

    it('rejects inputs that are not an object', () => {
      const notAnObject = ['a', 'b'] as unknown as Record<string, unknown>;

      expect(fieldErrorsOf(() => validateInputs(designInputs, notAnObject))).toEqual([
        { loc: ['body', 'inputs'], msg: 'Expected object', type: 'invalid_type' },
      ]);
      for (const scalar of ['ab', 5, true]) {
        expect(
          fieldErrorsOf(() => validateInputs(designInputs, scalar as unknown as Record<string, unknown>)),
        ).toEqual([{ loc: ['body', 'inputs'], msg: 'Expected object', type: 'invalid_type' }]);
      }
    });
  });

  describe('types', () => {
    it.each([
      ['string', 'text', 5],
      ['string', '', true],
      ['integer', 3, 3.5],
      ['integer', -7, '3'],
      ['integer', 0, true],
      ['number', 3.25, '3.25'],
      ['number', -1, null],
      ['boolean', false, 'false'],
      ['boolean', true, 1],
    ] as const)('a %s input accepts %j and rejects %j', (type, good, bad) => {
      // Prepare
      const declared: TaskManifest['inputs'] = { x: { type, required: true } };

      // Act
      const accepted = validateInputs(declared, { x: good });
      const rejected = fieldErrorsOf(() => validateInputs(declared, { x: bad }));

      // Assess
      expect(accepted).toEqual({ x: good });
      const expected = bad === null ? 'missing' : 'invalid_type';
      expect(rejected).toEqual([expect.objectContaining({ loc: ['body', 'inputs', 'x'], type: expected })]);
    });

    it('names the expected type', () => {
      expect(fieldErrorsOf(() => validateInputs(designInputs, { level: 'high' }))).toEqual([
        { loc: ['body', 'inputs', 'level'], msg: 'Expected integer', type: 'invalid_type' },
      ]);
    });

    it('accepts a whole number written as a float for an integer input', () => {
      expect(validateInputs(designInputs, JSON.parse('{"level": 2.0}') as Record<string, unknown>)).toEqual({
        user: 'admin',
        level: 2,
      });
    });

    it('does not coerce arrays or objects', () => {
      const declared: TaskManifest['inputs'] = { x: { type: 'string' } };

      expect(fieldErrorsOf(() => validateInputs(declared, { x: ['a'] }))[0]?.type).toBe('invalid_type');
      expect(fieldErrorsOf(() => validateInputs(declared, { x: { a: 1 } }))[0]?.type).toBe('invalid_type');
    });
  });

  describe('enum', () => {
    const declared: TaskManifest['inputs'] = {
      mode: { type: 'string', enum: ['easy', 'hard'] },
      size: { type: 'integer', enum: [1, 2, 4] },
    };

    it('accepts a listed value', () => {
      expect(validateInputs(declared, { mode: 'hard', size: 4 })).toEqual({ mode: 'hard', size: 4 });
    });

    it('rejects an unlisted value and lists the allowed ones', () => {
      expect(fieldErrorsOf(() => validateInputs(declared, { mode: 'medium', size: 3 }))).toEqual([
        { loc: ['body', 'inputs', 'mode'], msg: 'Expected one of "easy", "hard"', type: 'invalid_value' },
        { loc: ['body', 'inputs', 'size'], msg: 'Expected one of 1, 2, 4', type: 'invalid_value' },
      ]);
    });

    it('is case-sensitive', () => {
      expect(fieldErrorsOf(() => validateInputs(declared, { mode: 'Easy' }))[0]?.type).toBe('invalid_value');
    });
  });

  describe('minimum and maximum', () => {
    it('includes both bounds', () => {
      expect(validateInputs(designInputs, { level: 1 }).level).toBe(1);
      expect(validateInputs(designInputs, { level: 5 }).level).toBe(5);
    });

    it('rejects values outside the bounds', () => {
      expect(fieldErrorsOf(() => validateInputs(designInputs, { level: 0 }))).toEqual([
        { loc: ['body', 'inputs', 'level'], msg: 'Must be at least 1', type: 'too_small' },
      ]);
      expect(fieldErrorsOf(() => validateInputs(designInputs, { level: 6 }))).toEqual([
        { loc: ['body', 'inputs', 'level'], msg: 'Must be at most 5', type: 'too_big' },
      ]);
    });

    it('refuses numbers past ±2^53, which JSON and DynamoDB cannot carry exactly', () => {
      const declared: TaskManifest['inputs'] = { n: { type: 'number' }, i: { type: 'integer' } };

      expect(validateInputs(declared, { n: Number.MAX_SAFE_INTEGER, i: -Number.MAX_SAFE_INTEGER })).toEqual({
        n: Number.MAX_SAFE_INTEGER,
        i: -Number.MAX_SAFE_INTEGER,
      });
      expect(fieldErrorsOf(() => validateInputs(declared, { n: 2 ** 53, i: -(2 ** 60) }))).toEqual([
        { loc: ['body', 'inputs', 'n'], msg: 'Must be within ±2^53 (9007199254740991)', type: 'too_big' },
        { loc: ['body', 'inputs', 'i'], msg: 'Must be within ±2^53 (9007199254740991)', type: 'too_big' },
      ]);
    });

    it('applies fractional bounds to number inputs', () => {
      const declared: TaskManifest['inputs'] = { ratio: { type: 'number', minimum: 0.25, maximum: 0.75 } };

      expect(validateInputs(declared, { ratio: 0.25 })).toEqual({ ratio: 0.25 });
      expect(fieldErrorsOf(() => validateInputs(declared, { ratio: 0.2 }))[0]?.type).toBe('too_small');
      expect(fieldErrorsOf(() => validateInputs(declared, { ratio: 0.8 }))[0]?.type).toBe('too_big');
    });

    it('accepts exactly the integers within the bounds (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 }), (a, b) => {
          // Prepare
          const [minimum, maximum] = a <= b ? [a, b] : [b, a];
          const declared: TaskManifest['inputs'] = { n: { type: 'integer', minimum, maximum } };

          // Act / Assess
          for (const value of [
            minimum - 1,
            minimum,
            Math.floor((minimum + maximum) / 2),
            maximum,
            maximum + 1,
          ]) {
            const inRange = value >= minimum && value <= maximum;
            if (inRange) {
              expect(validateInputs(declared, { n: value })).toEqual({ n: value });
            } else {
              expect(fieldErrorsOf(() => validateInputs(declared, { n: value }))[0]?.type).toBe(
                value < minimum ? 'too_small' : 'too_big',
              );
            }
          }
        }),
      );
    });
  });

  it('collects every problem into one error', () => {
    // Prepare
    const declared: TaskManifest['inputs'] = {
      ...designInputs,
      mode: { type: 'string', enum: ['a', 'b'] },
      verbose: { type: 'boolean' },
    };

    // Act
    const errors = fieldErrorsOf(() =>
      validateInputs(declared, { extra: 1, user: 7, mode: 'c', verbose: 'yes' }),
    );

    // Assess
    expect(errors.map((e) => [e.loc[2], e.type])).toEqual([
      ['extra', 'unknown_input'],
      ['user', 'invalid_type'],
      ['level', 'missing'],
      ['mode', 'invalid_value'],
      ['verbose', 'invalid_type'],
    ]);
  });

  it('returns any valid string unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(validateInputs({ s: { type: 'string', required: true } }, { s: value })).toEqual({ s: value });
      }),
    );
  });

  it('throws a 422 validation_error', () => {
    let caught: unknown;
    try {
      validateInputs(designInputs, {});
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ status: 422, type: 'validation_error' });
  });
});

describe('inputValueProblem', () => {
  it('checks type before enum and enum before bounds', () => {
    const constraints = { type: 'integer', enum: [1, 50], minimum: 10 } as const;

    expect(inputValueProblem(constraints, 'x')?.type).toBe('invalid_type');
    expect(inputValueProblem(constraints, 2)?.type).toBe('invalid_value');
    expect(inputValueProblem(constraints, 1)?.type).toBe('too_small');
    expect(inputValueProblem(constraints, 50)).toBeNull();
  });

  it('rejects non-finite numbers', () => {
    expect(inputValueProblem({ type: 'number' }, Number.POSITIVE_INFINITY)?.type).toBe('invalid_type');
    expect(inputValueProblem({ type: 'number' }, Number.NaN)?.type).toBe('invalid_type');
    expect(inputValueProblem({ type: 'integer' }, Number.POSITIVE_INFINITY)?.type).toBe('invalid_type');
  });
});
