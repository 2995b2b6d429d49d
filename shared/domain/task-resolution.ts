/**
 * Which task version a `task_ref` denotes for a given caller (`docs/api.md`, CreateEnvironmentRequest).
 *
 * Visibility is decided per version: a version is visible to a caller when the caller's org owns
 * it or when that version is public. A caller learns nothing about versions it cannot see: asking
 * for another org's private task answers exactly like asking for a task that does not exist.
 */
import { TaskNotFoundError, ValidationError } from './errors.ts';
import { compareSemver } from './semver.ts';
import { formatTaskRef, resolvedTaskRef, type TaskRef } from './task-ref.ts';

/** One published task version, as far as resolution needs to know it. */
export interface TaskCandidate {
  readonly org: string;
  readonly name: string;
  /** Strict semver (validated when the version was published). */
  readonly version: string;
  readonly public: boolean;
}

/**
 * An unprefixed ref whose name several other orgs publish: a 422 located at `body.task_ref`
 * that lists the orgs, so the client can pick one and prefix it.
 */
export class AmbiguousTaskRefError extends ValidationError {
  /** The orgs that publish the name, sorted. */
  readonly orgs: readonly string[];

  constructor(ref: TaskRef, orgs: readonly string[]) {
    const sorted = [...orgs].sort();
    const example = formatTaskRef({ ...ref, org: sorted[0] ?? 'org' });
    super([
      {
        loc: ['body', 'task_ref'],
        msg:
          `Task '${formatTaskRef(ref)}' is published by several orgs (${sorted.join(', ')}); ` +
          `prefix it with the org you mean, e.g. '${example}'`,
        type: 'ambiguous_task_ref',
      },
    ]);
    this.orgs = sorted;
  }
}

/**
 * Picks the task version that `ref` denotes for a caller of `callerOrg`.
 *
 * - Only versions visible to the caller count: owned by `callerOrg`, or public (per version).
 * - With an org prefix, only that org's visible versions count.
 * - Without a prefix, the caller's own org wins whenever it has any version of the name, even
 *   when the requested version exists only elsewhere: an own task is never silently swapped for
 *   another org's task of the same name. Otherwise the public versions of other orgs count.
 * - Without a prefix, when public versions of the name come from more than one other org, the
 *   ref is ambiguous and refused rather than resolved by a hidden tie-break (e.g. org name or
 *   publish time) that could switch which org's code runs when a stranger publishes. This is
 *   decided on the name alone, whatever the requested version, so adding a version never turns
 *   a working ref into a different task.
 * - No version means the highest visible semver; an exact version must be visible itself, so
 *   for a caller outside the owning org "latest" is the highest *public* version.
 *
 * `candidates` may hold versions of other names and duplicates (e.g. the union of the caller's
 * own versions and the public index); both are harmless.
 *
 * @throws TaskNotFoundError naming the ref as written when no visible version matches; it reads
 *   the same whether a private version exists or nothing does.
 * @throws AmbiguousTaskRefError (a 422 `ValidationError`, type `ambiguous_task_ref`) as above.
 */
export const resolveTask = (
  callerOrg: string,
  ref: TaskRef,
  candidates: readonly TaskCandidate[],
): TaskCandidate => {
  const visible = candidates.filter((c) => c.name === ref.name && (c.org === callerOrg || c.public));
  const pool =
    ref.org === undefined
      ? unprefixedPool(callerOrg, ref, visible)
      : visible.filter((c) => c.org === ref.org);

  const match = ref.version === undefined ? highest(pool) : pool.find((c) => c.version === ref.version);
  if (match === undefined) {
    throw new TaskNotFoundError(formatTaskRef(ref));
  }
  return match;
};

/** The fully resolved ref returned to clients: `org/name@version`. */
export const formatResolved = (c: TaskCandidate): string => resolvedTaskRef(c);

const unprefixedPool = (
  callerOrg: string,
  ref: TaskRef,
  visible: readonly TaskCandidate[],
): readonly TaskCandidate[] => {
  const own = visible.filter((c) => c.org === callerOrg);
  if (own.length > 0) {
    return own;
  }
  const orgs = new Set(visible.map((c) => c.org));
  if (orgs.size > 1) {
    throw new AmbiguousTaskRefError(ref, [...orgs]);
  }
  return visible;
};

const highest = (pool: readonly TaskCandidate[]): TaskCandidate | undefined =>
  pool.reduce<TaskCandidate | undefined>(
    (best, c) => (best === undefined || compareSemver(c.version, best.version) > 0 ? c : best),
    undefined,
  );
