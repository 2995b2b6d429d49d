import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskenvError, toErrorResponse, ValidationError } from '#domain/errors';
import { ORG_SLUG_PATTERN, TASK_NAME_PATTERN } from '#domain/names';
import { isSemver } from '#domain/semver';
import {
  formatTaskRef,
  InvalidTaskRefError,
  parseTaskRef,
  TASK_REF_MAX_LENGTH,
  type TaskRef,
} from '#domain/task-ref';

const slug = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/);
const semverPart = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 999_999 }));
const semver = fc.tuple(semverPart, semverPart, semverPart).map((parts) => parts.join('.'));
const validRef: fc.Arbitrary<TaskRef> = fc.record(
  { org: slug, name: slug, version: semver },
  { requiredKeys: ['name'], noNullPrototype: true },
);

/** Returns the reason parseTaskRef gives for refusing `s`, failing the test if it accepts it. */
const refusal = (s: string): InvalidTaskRefError => {
  try {
    parseTaskRef(s);
  } catch (error) {
    if (error instanceof InvalidTaskRefError) return error;
    throw error;
  }
  throw new Error(`parseTaskRef accepted ${JSON.stringify(s)}`);
};

/** Calls parseTaskRef and lets only InvalidTaskRefError through as a refusal. */
const parseOrRefuse = (s: string): TaskRef | InvalidTaskRefError => {
  try {
    return parseTaskRef(s);
  } catch (error) {
    if (error instanceof InvalidTaskRefError) return error;
    throw error;
  }
};

describe('parseTaskRef', () => {
  it.each<[string, TaskRef]>([
    ['my-task', { name: 'my-task' }],
    ['my-task@1.2.0', { name: 'my-task', version: '1.2.0' }],
    ['acme/my-task', { org: 'acme', name: 'my-task' }],
    ['acme/my-task@1.2.0', { org: 'acme', name: 'my-task', version: '1.2.0' }],
    ['0/9@0.0.0', { org: '0', name: '9', version: '0.0.0' }],
    ['a--b/c-@999999.999999.999999', { org: 'a--b', name: 'c-', version: '999999.999999.999999' }],
  ])('parses %j', (input, expected) => {
    // toStrictEqual also fails on an optional key that is present but undefined.
    expect(parseTaskRef(input)).toStrictEqual(expected);
  });

  it.each<[string, TaskRef]>([
    ['my-task@latest', { name: 'my-task' }],
    ['acme/my-task@latest', { org: 'acme', name: 'my-task' }],
  ])('reads %j as "no version", the same as writing none', (input, expected) => {
    expect(parseTaskRef(input)).toStrictEqual(expected);
  });

  it('lets a task be called "latest"', () => {
    expect(parseTaskRef('latest@latest')).toStrictEqual({ name: 'latest' });
    expect(parseTaskRef('latest/latest@1.0.0')).toStrictEqual({
      org: 'latest',
      name: 'latest',
      version: '1.0.0',
    });
  });

  it('accepts the longest well-formed ref', () => {
    // Prepare
    const ref = { org: 'o'.repeat(64), name: 'n'.repeat(64), version: '999999.999999.999999' };
    const text = formatTaskRef(ref);

    // Act
    const parsed = parseTaskRef(text);

    // Assess
    expect(text).toHaveLength(TASK_REF_MAX_LENGTH);
    expect(parsed).toStrictEqual(ref);
  });

  it.each<[string, RegExp]>([
    ['', /must not be empty/],
    ['x'.repeat(TASK_REF_MAX_LENGTH + 1), /at most 150 characters/],
    ['/my-task', /org before '\/' must not be empty/],
    ['acme/', /task name must not be empty/],
    ['acme/@1.0.0', /task name must not be empty/],
    ['@1.0.0', /task name must not be empty/],
    ['my-task@', /version after '@' must not be empty/],
    ['a/b/c', /at most one '\/'/],
    ['a@1.0.0@2.0.0', /at most one '@'/],
    ['my-task@1.0.0/acme', /org must come before the name/],
    ['My-Task', /Task name 'My-Task' is not valid/],
    ['-task', /Task name '-task' is not valid/],
    ['my_task', /Task name 'my_task' is not valid/],
    ['my task', /Task name 'my task' is not valid/],
    [' my-task', /Task name ' my-task' is not valid/],
    ['my-task\n', /is not valid/],
    ['tâche', /Task name 'tâche' is not valid/],
    ['n'.repeat(65), /at most 64 characters/],
    ['Acme/my-task', /Org 'Acme' is not valid/],
    ['ac.me/my-task', /Org 'ac.me' is not valid/],
    [`${'o'.repeat(65)}/x`, /Org '.*' is not valid: .* at most 64 characters/],
    ['my-task@1.2', /Version '1.2' is not valid/],
    ['my-task@v1.2.3', /Version 'v1.2.3' is not valid/],
    ['my-task@1.02.3', /Version '1.02.3' is not valid/],
    ['my-task@1.2.3-rc.1', /Version '1.2.3-rc.1' is not valid/],
    ['my-task@LATEST', /Version 'LATEST' is not valid/],
    ['my-task@*', /Version '\*' is not valid/],
  ])('refuses %j: %s', (input, reason) => {
    const error = refusal(input);

    expect(error.reason).toMatch(reason);
    expect(error.errors).toStrictEqual([
      { loc: ['body', 'task_ref'], msg: error.reason, type: 'invalid_task_ref' },
    ]);
  });

  it('refuses with a 422 that maps to the canonical envelope', () => {
    // Act
    const error = refusal('acme/My-Task');
    const response = toErrorResponse(error);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(TaskenvError);
    expect(error.name).toBe('InvalidTaskRefError');
    expect(error.status).toBe(422);
    expect(response.statusCode).toBe(422);
    expect(response.body).toStrictEqual({
      code: 422,
      detail: 'Request validation failed',
      type: 'validation_error',
      errors: [{ loc: ['body', 'task_ref'], msg: error.reason, type: 'invalid_task_ref' }],
    });
  });

  it('round-trips every valid ref: parse(format(r)) equals r', () => {
    fc.assert(
      fc.property(validRef, (ref) => {
        expect(parseTaskRef(formatTaskRef(ref))).toStrictEqual(ref);
      }),
    );
  });

  it('treats an explicit @latest exactly like no version', () => {
    fc.assert(
      fc.property(validRef, (ref) => {
        const { version: _ignored, ...withoutVersion } = ref;
        expect(parseTaskRef(`${formatTaskRef(withoutVersion)}@latest`)).toStrictEqual(withoutVersion);
      }),
    );
  });

  it('never throws anything but InvalidTaskRefError, on any string', () => {
    // Lone surrogates are not produced by the 'binary' unit, so they get their own arbitrary.
    const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
    const anyString = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '/', '@'), loneSurrogate) }),
      fc.string({ minLength: TASK_REF_MAX_LENGTH - 5, maxLength: TASK_REF_MAX_LENGTH + 5 }),
    );
    fc.assert(
      fc.property(anyString, (s) => {
        parseOrRefuse(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('on strings made of the grammar characters, accepts exactly the well-formed refs', () => {
    // Prepare: an alphabet dense in separators so that near-misses are common
    const gramString = fc.string({
      unit: fc.constantFrom(
        '/',
        '@',
        '.',
        '-',
        '_',
        'a',
        'b',
        'Z',
        '0',
        '1',
        '9',
        'l',
        'a',
        't',
        'e',
        's',
        ' ',
      ),
      maxLength: 24,
    });
    const pieces = fc
      .tuple(
        fc.constantFrom('', 'acme/', 'a-/', 'Acme/', '/', 'a/b/', '@/'),
        fc.constantFrom('x', 'my-task', 'latest', '-x', 'x_y', ''),
        fc.constantFrom('', '@1.2.3', '@0.10.0', '@latest', '@01.2.3', '@', '@1.2', '@latest@1.0.0'),
      )
      .map((parts) => parts.join(''));

    fc.assert(
      fc.property(fc.oneof(gramString, pieces), (s) => {
        // Act
        const result = parseOrRefuse(s);

        // Assess: an independent statement of the grammar agrees with the parser
        const match = /^(?:([^/@]*)\/)?([^/@]*)(?:@([^/@]*))?$/.exec(s);
        const [, org, name = '', version] = match ?? [];
        const wellFormed =
          match !== null &&
          (org === undefined || ORG_SLUG_PATTERN.test(org)) &&
          TASK_NAME_PATTERN.test(name) &&
          (version === undefined || version === 'latest' || isSemver(version));
        expect(result instanceof InvalidTaskRefError).toBe(!wellFormed);
        if (!(result instanceof InvalidTaskRefError)) {
          expect(result.org).toBe(org);
          expect(result.name).toBe(name);
          expect(result.version).toBe(version === 'latest' ? undefined : version);
          expect(formatTaskRef(result)).toBe(s.replace(/@latest$/, ''));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives a non-empty reason for every refusal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const result = parseOrRefuse(s);
        if (result instanceof InvalidTaskRefError) {
          expect(result.reason.length).toBeGreaterThan(0);
          expect(result.errors).toHaveLength(1);
        }
      }),
    );
  });
});

describe('formatTaskRef', () => {
  it.each<[TaskRef, string]>([
    [{ name: 'my-task' }, 'my-task'],
    [{ name: 'my-task', version: '1.2.0' }, 'my-task@1.2.0'],
    [{ org: 'acme', name: 'my-task' }, 'acme/my-task'],
    [{ org: 'acme', name: 'my-task', version: '1.2.0' }, 'acme/my-task@1.2.0'],
  ])('writes %j as %j', (ref, expected) => {
    expect(formatTaskRef(ref)).toBe(expected);
  });
});

describe('refusal reasons', () => {
  it.each([
    ['', "Task reference must not be empty; expected '[org/]name[@version]'"],
    ['acme/', "The task name must not be empty; expected '[org/]name[@version]'"],
    [
      'Acme/x',
      "Org 'Acme' is not valid: use lowercase letters, digits and '-', starting with a letter or digit, at most 64 characters",
    ],
    [
      'x_y',
      "Task name 'x_y' is not valid: use lowercase letters, digits and '-', starting with a letter or digit, at most 64 characters",
    ],
  ])('refuses %j saying %j', (input, reason) => {
    expect(refusal(input).reason).toBe(reason);
  });
});

describe('a ref that starts with its version', () => {
  it('is refused for its order, not for an empty org', () => {
    expect(refusal('@1.0.0/x').reason).toBe(
      "The org must come before the name and the version last; expected '[org/]name[@version]'",
    );
  });
});
