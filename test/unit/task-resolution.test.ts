import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskNotFoundError, toErrorResponse, ValidationError } from '#domain/errors';
import { compareSemver } from '#domain/semver';
import { parseTaskRef, type TaskRef } from '#domain/task-ref';
import {
  AmbiguousTaskRefError,
  formatResolved,
  resolveTask,
  type TaskCandidate,
} from '#domain/task-resolution';

const CALLER = 'mine';

const task = (
  org: string,
  name: string,
  version: string,
  visibility: 'public' | 'private',
): TaskCandidate => ({
  org,
  name,
  version,
  public: visibility === 'public',
});

/** Resolves a ref written as a client would write it, for the caller org `mine`. */
const resolve = (written: string, candidates: readonly TaskCandidate[], caller = CALLER): string =>
  formatResolved(resolveTask(caller, parseTaskRef(written), candidates));

/** What the caller is told when resolution fails: the error class and its message. */
const failure = (written: string, candidates: readonly TaskCandidate[], caller = CALLER): Error => {
  try {
    resolveTask(caller, parseTaskRef(written), candidates);
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error(`'${written}' resolved, but a failure was expected`);
};

const notFound = (written: string): TaskNotFoundError => new TaskNotFoundError(written);

describe('resolveTask: the caller org', () => {
  const own = [
    task(CALLER, 'web', '1.0.0', 'private'),
    task(CALLER, 'web', '1.2.0', 'public'),
    task(CALLER, 'web', '2.0.0', 'private'),
  ];

  it.each([
    ['web', 'mine/web@2.0.0'],
    ['web@latest', 'mine/web@2.0.0'],
    ['web@1.0.0', 'mine/web@1.0.0'],
    ['web@1.2.0', 'mine/web@1.2.0'],
    ['mine/web', 'mine/web@2.0.0'],
    ['mine/web@latest', 'mine/web@2.0.0'],
    ['mine/web@1.0.0', 'mine/web@1.0.0'],
  ])('sees its own private and public versions: %s → %s', (written, expected) => {
    expect(resolve(written, own)).toBe(expected);
  });

  it.each(['web@3.0.0', 'mine/web@3.0.0', 'mine/other', 'other'])('answers 404 for %s', (written) => {
    expect(failure(written, own)).toStrictEqual(notFound(written));
  });
});

describe('resolveTask: another org', () => {
  it.each(['web', 'web@latest', 'web@1.0.0', 'acme/web', 'acme/web@latest', 'acme/web@1.0.0'])(
    'hides a private task of another org as a plain 404: %s',
    (written) => {
      // Prepare
      const candidates = [task('acme', 'web', '1.0.0', 'private')];

      // Act
      const withPrivate = failure(written, candidates);
      const withNothing = failure(written, []);

      // Assess: the same class and message as if the task did not exist at all
      expect(withPrivate).toBeInstanceOf(TaskNotFoundError);
      expect(withPrivate).toStrictEqual(withNothing);
      expect(withPrivate.message).toBe(`Task '${written.replace(/@latest$/, '')}' not found`);
    },
  );

  it.each([
    ['web', 'acme/web@1.1.0'],
    ['web@latest', 'acme/web@1.1.0'],
    ['web@1.0.0', 'acme/web@1.0.0'],
    ['acme/web', 'acme/web@1.1.0'],
    ['acme/web@latest', 'acme/web@1.1.0'],
    ['acme/web@1.0.0', 'acme/web@1.0.0'],
  ])('uses a public task of another org: %s → %s', (written, expected) => {
    const candidates = [task('acme', 'web', '1.0.0', 'public'), task('acme', 'web', '1.1.0', 'public')];

    expect(resolve(written, candidates)).toBe(expected);
  });

  describe('with public and private versions of one name', () => {
    const mixed = [
      task('acme', 'web', '1.0.0', 'public'),
      task('acme', 'web', '1.9.0', 'public'),
      task('acme', 'web', '1.10.0', 'private'),
      task('acme', 'web', '2.0.0', 'private'),
    ];

    it.each([
      ['web', 'acme/web@1.9.0'],
      ['web@latest', 'acme/web@1.9.0'],
      ['acme/web', 'acme/web@1.9.0'],
      ['acme/web@latest', 'acme/web@1.9.0'],
      ['acme/web@1.0.0', 'acme/web@1.0.0'],
    ])('gives an outsider the highest PUBLIC version: %s → %s', (written, expected) => {
      expect(resolve(written, mixed)).toBe(expected);
    });

    it.each(['web@1.10.0', 'web@2.0.0', 'acme/web@1.10.0', 'acme/web@2.0.0'])(
      'answers an outsider 404 for the private version %s',
      (written) => {
        expect(failure(written, mixed)).toStrictEqual(notFound(written));
        expect(failure(written, mixed)).toStrictEqual(failure(written, []));
      },
    );

    it.each([
      ['web', 'acme/web@2.0.0'],
      ['acme/web', 'acme/web@2.0.0'],
      ['web@1.10.0', 'acme/web@1.10.0'],
      ['acme/web@1.0.0', 'acme/web@1.0.0'],
    ])('gives the owner every version: %s → %s', (written, expected) => {
      expect(resolve(written, mixed, 'acme')).toBe(expected);
    });
  });
});

describe('resolveTask: own org and other orgs with the same name', () => {
  const candidates = [
    task(CALLER, 'web', '1.0.0', 'private'),
    task('acme', 'web', '5.0.0', 'public'),
    task('beta', 'web', '7.0.0', 'public'),
    task('gamma', 'web', '9.0.0', 'private'),
  ];

  it('resolves an unprefixed name in the caller org first, even when others publish higher versions', () => {
    expect(resolve('web', candidates)).toBe('mine/web@1.0.0');
    expect(resolve('web@latest', candidates)).toBe('mine/web@1.0.0');
  });

  it('does not fall through to another org for a version the caller org lacks', () => {
    expect(failure('web@5.0.0', candidates)).toStrictEqual(notFound('web@5.0.0'));
  });

  it.each([
    ['acme/web', 'acme/web@5.0.0'],
    ['acme/web@5.0.0', 'acme/web@5.0.0'],
    ['beta/web', 'beta/web@7.0.0'],
    ['mine/web', 'mine/web@1.0.0'],
  ])('takes a prefix literally: %s → %s', (written, expected) => {
    expect(resolve(written, candidates)).toBe(expected);
  });

  it('answers 404 for a prefix naming an org whose versions are all private, though the caller owns the name', () => {
    expect(failure('gamma/web', candidates)).toStrictEqual(notFound('gamma/web'));
  });
});

describe('resolveTask: ambiguity', () => {
  const candidates = [
    task('beta', 'web', '1.0.0', 'public'),
    task('acme', 'web', '1.0.0', 'public'),
    task('acme', 'web', '2.0.0', 'public'),
  ];

  it.each(['web', 'web@latest', 'web@1.0.0', 'web@2.0.0', 'web@9.9.9'])(
    'refuses the unprefixed %s when two other orgs publish the name',
    (written) => {
      // Act
      const error = failure(written, candidates);

      // Assess
      expect(error).toBeInstanceOf(AmbiguousTaskRefError);
      expect(error).toBeInstanceOf(ValidationError);
      if (!(error instanceof AmbiguousTaskRefError)) return;
      expect(error.orgs).toStrictEqual(['acme', 'beta']);
      expect(error.errors).toHaveLength(1);
      expect(error.errors[0]).toMatchObject({ loc: ['body', 'task_ref'], type: 'ambiguous_task_ref' });
      expect(error.errors[0]?.msg).toMatch(/acme, beta/);
      expect(error.errors[0]?.msg).toMatch(/prefix/);
      expect(error.errors[0]?.msg).toContain(`'acme/${written.replace(/@latest$/, '')}'`);
    },
  );

  it('maps to a 422 envelope', () => {
    const response = toErrorResponse(failure('web', candidates));

    expect(response.statusCode).toBe(422);
    expect(response.body.type).toBe('validation_error');
    expect(response.body.errors?.[0]?.type).toBe('ambiguous_task_ref');
  });

  it.each([
    ['acme/web', 'acme/web@2.0.0'],
    ['beta/web', 'beta/web@1.0.0'],
    ['beta/web@1.0.0', 'beta/web@1.0.0'],
  ])('resolves once prefixed: %s → %s', (written, expected) => {
    expect(resolve(written, candidates)).toBe(expected);
  });

  it('does not arise when the caller org has the name', () => {
    expect(resolve('web', [...candidates, task(CALLER, 'web', '0.0.1', 'private')])).toBe('mine/web@0.0.1');
  });

  it('does not arise for the owner of one of the public versions', () => {
    expect(resolve('web', candidates, 'beta')).toBe('beta/web@1.0.0');
  });

  it('is not caused, nor revealed, by another org private versions', () => {
    // Prepare
    const onePublic = [task('acme', 'web', '1.0.0', 'public'), task('beta', 'web', '2.0.0', 'private')];

    // Act
    const resolved = resolve('web', onePublic);

    // Assess
    expect(resolved).toBe('acme/web@1.0.0');
  });
});

describe('resolveTask: latest', () => {
  it('picks the highest semver numerically: 1.10.0 over 1.9.0', () => {
    // Prepare
    const candidates = [
      task('acme', 'web', '1.9.0', 'public'),
      task('acme', 'web', '1.10.0', 'public'),
      task('acme', 'web', '1.2.0', 'public'),
    ];

    // Act
    const resolved = resolve('acme/web', candidates);

    // Assess
    expect(resolved).toBe('acme/web@1.10.0');
  });

  it('ignores versions of other names and duplicate entries', () => {
    // Prepare: the caller's own versions unioned with the public index repeats the public ones
    const candidates = [
      task(CALLER, 'web', '1.0.0', 'public'),
      task(CALLER, 'web', '1.0.0', 'public'),
      task(CALLER, 'api', '9.0.0', 'private'),
      task('acme', 'api', '8.0.0', 'public'),
    ];

    // Act + Assess
    expect(resolve('web', candidates)).toBe('mine/web@1.0.0');
    expect(resolveTask(CALLER, { name: 'web' }, candidates)).toStrictEqual(
      task(CALLER, 'web', '1.0.0', 'public'),
    );
  });

  it('answers 404 naming the ref when nothing of that name exists', () => {
    const error = failure('acme/web', [task('acme', 'api', '1.0.0', 'public')]);

    expect(error).toStrictEqual(notFound('acme/web'));
    expect(toErrorResponse(error).body).toStrictEqual({
      code: 404,
      detail: "Task 'acme/web' not found",
      type: 'not_found_error',
    });
  });
});

describe('formatResolved', () => {
  it('writes org/name@version', () => {
    expect(formatResolved(task('acme', 'web', '1.2.3', 'private'))).toBe('acme/web@1.2.3');
  });
});

describe('resolveTask: properties', () => {
  const orgs = ['mine', 'acme', 'beta'] as const;
  const versions = ['0.1.0', '0.9.0', '0.10.0', '1.0.0', '2.0.0'] as const;
  const candidate = fc.record(
    {
      org: fc.constantFrom(...orgs),
      name: fc.constantFrom('web', 'api'),
      version: fc.constantFrom(...versions),
      public: fc.boolean(),
    },
    { noNullPrototype: true },
  );
  // One entry per org/name@version: public is a property of the version.
  const candidates = fc.uniqueArray(candidate, { selector: (c) => formatResolved(c), maxLength: 20 });
  const ref: fc.Arbitrary<TaskRef> = fc.record(
    { org: fc.constantFrom(...orgs), name: fc.constant('web'), version: fc.constantFrom(...versions) },
    { requiredKeys: ['name'], noNullPrototype: true },
  );
  const caller = fc.constantFrom(...orgs);

  type Outcome = { readonly resolved: string } | { readonly error: string; readonly message: string };

  const outcome = (callerOrg: string, r: TaskRef, cs: readonly TaskCandidate[]): Outcome => {
    try {
      return { resolved: formatResolved(resolveTask(callerOrg, r, cs)) };
    } catch (error) {
      if (error instanceof TaskNotFoundError || error instanceof AmbiguousTaskRefError) {
        return { error: error.name, message: error.message };
      }
      throw error;
    }
  };

  it('reveals nothing about versions the caller cannot see', () => {
    fc.assert(
      fc.property(caller, ref, candidates, (callerOrg, r, cs) => {
        const visibleOnly = cs.filter((c) => c.org === callerOrg || c.public);

        expect(outcome(callerOrg, r, cs)).toStrictEqual(outcome(callerOrg, r, visibleOnly));
      }),
    );
  });

  it('returns a visible version matching the ref, the highest of its org when no version is asked', () => {
    fc.assert(
      fc.property(caller, ref, candidates, (callerOrg, r, cs) => {
        let resolved: TaskCandidate;
        try {
          resolved = resolveTask(callerOrg, r, cs);
        } catch (error) {
          expect(error instanceof TaskNotFoundError || error instanceof AmbiguousTaskRefError).toBe(true);
          return;
        }
        expect(cs).toContain(resolved);
        expect(resolved.org === callerOrg || resolved.public).toBe(true);
        expect(resolved.name).toBe(r.name);
        if (r.org !== undefined) expect(resolved.org).toBe(r.org);
        if (r.version !== undefined) expect(resolved.version).toBe(r.version);
        const visibleSiblings = cs.filter(
          (c) => c.org === resolved.org && c.name === r.name && (c.org === callerOrg || c.public),
        );
        if (r.version === undefined) {
          for (const sibling of visibleSiblings) {
            expect(compareSemver(sibling.version, resolved.version)).toBeLessThanOrEqual(0);
          }
        }
      }),
    );
  });

  it('resolves an unprefixed name to the caller org whenever it has the name', () => {
    fc.assert(
      fc.property(caller, ref, candidates, (callerOrg, r, cs) => {
        const { org: _ignored, ...unprefixed } = r;
        fc.pre(cs.some((c) => c.org === callerOrg && c.name === r.name));

        const result = outcome(callerOrg, unprefixed, cs);

        if ('resolved' in result) expect(result.resolved.startsWith(`${callerOrg}/`)).toBe(true);
        else expect(result.error).toBe('TaskNotFoundError');
      }),
    );
  });
});
