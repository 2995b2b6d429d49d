/**
 * Task inputs: the values a client binds to a task's declared inputs when it provisions an
 * environment (`docs/api.md`, `inputs`). The declarations come from the task manifest; this module
 * checks one value against one declaration and a whole `inputs` object against all of them.
 */
import { type FieldError, ValidationError } from './errors.ts';

/** The value types an input may declare. */
export const INPUT_TYPES = ['string', 'integer', 'number', 'boolean'] as const;

export type InputType = (typeof INPUT_TYPES)[number];

/** A value an input can take; also what the instruction template sees. */
export type InputValue = string | number | boolean;

/** Validated inputs of one environment, by input name. */
export type InputValues = Record<string, InputValue>;

/**
 * The part of an input declaration that constrains a value. Structural (not the manifest's
 * inferred type) so the manifest schema can use {@link inputValueProblem} while it is being
 * defined.
 */
export interface InputConstraints {
  readonly type: InputType;
  readonly enum?: readonly InputValue[] | undefined;
  readonly minimum?: number | undefined;
  readonly maximum?: number | undefined;
}

/** What {@link validateInputs} reads of one declared input (the manifest's declaration satisfies it). */
export interface InputDeclarationShape extends InputConstraints {
  readonly default?: InputValue | undefined;
  readonly required?: boolean | undefined;
}

/** Why a value does not satisfy a declaration; `type` is the 422 entry's `type`. */
export interface InputProblem {
  readonly msg: string;
  readonly type: 'invalid_type' | 'invalid_value' | 'too_small' | 'too_big';
}

const hasType = (type: InputType, value: unknown): value is InputValue => {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
};

const show = (value: InputValue): string => JSON.stringify(value);

type Checked =
  | { readonly ok: true; readonly value: InputValue }
  | { readonly ok: false; readonly problem: InputProblem };

const check = (constraints: InputConstraints, value: unknown): Checked => {
  const { type } = constraints;
  if (!hasType(type, value)) {
    return { ok: false, problem: { msg: `Expected ${type}`, type: 'invalid_type' } };
  }
  if (constraints.enum !== undefined && !constraints.enum.includes(value)) {
    const msg = `Expected one of ${constraints.enum.map(show).join(', ')}`;
    return { ok: false, problem: { msg, type: 'invalid_value' } };
  }
  if (typeof value === 'number') {
    // Beyond 2^53 a JSON number has lost digits already, and DynamoDB cannot store all of them.
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      return { ok: false, problem: { msg: 'Must be within ±2^53 (9007199254740991)', type: 'too_big' } };
    }
    if (constraints.minimum !== undefined && value < constraints.minimum) {
      return { ok: false, problem: { msg: `Must be at least ${constraints.minimum}`, type: 'too_small' } };
    }
    if (constraints.maximum !== undefined && value > constraints.maximum) {
      return { ok: false, problem: { msg: `Must be at most ${constraints.maximum}`, type: 'too_big' } };
    }
  }
  return { ok: true, value };
};

/**
 * The first way `value` fails `constraints` (type, then enum, then minimum, then maximum), or
 * null when it satisfies them. No coercion: `"5"` is not an integer, `1.5` is not an integer.
 */
export const inputValueProblem = (constraints: InputConstraints, value: unknown): InputProblem | null => {
  const checked = check(constraints, value);
  return checked.ok ? null : checked.problem;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Binds a client's `inputs` to a task's declared inputs: applies defaults and checks every
 * declaration (type, required, enum, minimum, maximum). Keys the task does not declare are
 * rejected. A `null` value counts as not given, so clients that send explicit nulls for
 * optional fields get the default.
 *
 * Every problem is collected into one {@link ValidationError} (422) whose entries are located at
 * `["body", "inputs", <name>]`, with `type` one of `unknown_input`, `missing`, `invalid_type`,
 * `invalid_value`, `too_small`, `too_big`.
 *
 * @returns the bound values; a declared input that is neither given nor defaulted is absent.
 */
export const validateInputs = (
  declared: Readonly<Record<string, InputDeclarationShape>>,
  given: Readonly<Record<string, unknown>> | null | undefined,
): InputValues => {
  const supplied: unknown = given ?? {};
  if (!isPlainObject(supplied)) {
    throw new ValidationError([{ loc: ['body', 'inputs'], msg: 'Expected object', type: 'invalid_type' }]);
  }
  const errors: FieldError[] = [];
  for (const name of Object.keys(supplied)) {
    // Own-property checks only: an input named `constructor` or `__proto__` must not be
    // answered by Object.prototype.
    if (!Object.hasOwn(declared, name)) {
      errors.push({
        loc: ['body', 'inputs', name],
        msg: 'Unknown input: the task does not declare it',
        type: 'unknown_input',
      });
    }
  }
  const bound: [string, InputValue][] = [];
  for (const [name, declaration] of Object.entries(declared)) {
    const value = Object.hasOwn(supplied, name) ? supplied[name] : undefined;
    if (value === undefined || value === null) {
      if (declaration.default !== undefined) {
        bound.push([name, declaration.default]);
      } else if (declaration.required === true) {
        errors.push({ loc: ['body', 'inputs', name], msg: 'Required input', type: 'missing' });
      }
      continue;
    }
    const checked = check(declaration, value);
    if (checked.ok) {
      bound.push([name, checked.value]);
    } else {
      errors.push({ loc: ['body', 'inputs', name], msg: checked.problem.msg, type: checked.problem.type });
    }
  }
  if (errors.length > 0) {
    throw new ValidationError(errors);
  }
  // fromEntries defines own properties, so a name like `__proto__` cannot reach the prototype.
  return Object.fromEntries(bound);
};
