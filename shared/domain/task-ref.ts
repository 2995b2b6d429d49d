/**
 * Task references as clients write them in `CreateEnvironmentRequest.task_ref`:
 * `[org/]name[@version]`, e.g. `my-task`, `my-task@1.2.0`, `acme/my-task`, `acme/my-task@latest`.
 *
 * Parsing only checks the grammar; which task a ref denotes depends on who asks and is decided
 * by `resolveTask` (`task-resolution.ts`).
 */
import { ValidationError } from './errors.ts';
import { ORG_SLUG_MAX_LENGTH, ORG_SLUG_PATTERN, TASK_NAME_MAX_LENGTH, TASK_NAME_PATTERN } from './names.ts';
import { isSemver, SEMVER_PART_MAX } from './semver.ts';

/** A parsed task reference. */
export interface TaskRef {
  /** Owning org; absent when the caller wrote no prefix, which lets resolution search for it. */
  readonly org?: string;
  readonly name: string;
  /** Exact version; absent means the latest version visible to the caller. */
  readonly version?: string;
}

/** The word that asks for the latest version explicitly; same as writing no version. */
const LATEST = 'latest';

const VERSION_MAX_LENGTH = 3 * String(SEMVER_PART_MAX).length + 2;

/** Longest well-formed ref; anything longer is rejected before it is split or echoed back. */
export const TASK_REF_MAX_LENGTH = ORG_SLUG_MAX_LENGTH + 1 + TASK_NAME_MAX_LENGTH + 1 + VERSION_MAX_LENGTH;

const GRAMMAR = "'[org/]name[@version]'";
const SLUG_RULE = "lowercase letters, digits and '-', starting with a letter or digit";

/** A `task_ref` that does not follow the grammar: a 422 located at `body.task_ref`. */
export class InvalidTaskRefError extends ValidationError {
  /** Why the ref was refused, in words a client can act on (also the `msg` of the field error). */
  readonly reason: string;

  constructor(reason: string, options: { cause?: unknown } = {}) {
    super([{ loc: ['body', 'task_ref'], msg: reason, type: 'invalid_task_ref' }], undefined, options);
    this.reason = reason;
  }
}

/**
 * Parses `[org/]name[@version]`. `@latest` is the same as no version.
 *
 * Total on strings: any input either yields a ref or throws {@link InvalidTaskRefError}, never
 * another error, so a handler can map the failure to a 422 without a catch-all.
 *
 * @throws InvalidTaskRefError when `s` does not follow the grammar.
 */
export const parseTaskRef = (s: string): TaskRef => {
  if (s.length === 0) {
    throw new InvalidTaskRefError(`Task reference must not be empty; expected ${GRAMMAR}`);
  }
  if (s.length > TASK_REF_MAX_LENGTH) {
    throw new InvalidTaskRefError(`Task reference must be at most ${TASK_REF_MAX_LENGTH} characters`);
  }
  const at = s.indexOf('@');
  const slash = s.indexOf('/');
  if (at !== s.lastIndexOf('@')) {
    throw new InvalidTaskRefError(`Task reference must contain at most one '@'; expected ${GRAMMAR}`);
  }
  if (slash !== s.lastIndexOf('/')) {
    throw new InvalidTaskRefError(`Task reference must contain at most one '/'; expected ${GRAMMAR}`);
  }
  if (at >= 0 && slash > at) {
    throw new InvalidTaskRefError(
      `The org must come before the name and the version last; expected ${GRAMMAR}`,
    );
  }

  const head = at < 0 ? s : s.slice(0, at);
  const org = slash < 0 ? undefined : head.slice(0, slash);
  const name = slash < 0 ? head : head.slice(slash + 1);
  const version = at < 0 ? undefined : s.slice(at + 1);

  if (org !== undefined) {
    checkOrg(org);
  }
  checkName(name);
  if (version !== undefined) {
    checkVersion(version);
  }
  return {
    ...(org === undefined ? {} : { org }),
    name,
    ...(version === undefined || version === LATEST ? {} : { version }),
  };
};

/**
 * Writes a ref in its canonical form, the inverse of {@link parseTaskRef}: a ref without a
 * version is written without `@` (never `@latest`).
 */
export const formatTaskRef = (ref: TaskRef): string =>
  `${ref.org === undefined ? '' : `${ref.org}/`}${ref.name}${ref.version === undefined ? '' : `@${ref.version}`}`;

/** A resolved task version as clients see it (`task_ref` of every answer): `org/name@version`. */
export const resolvedTaskRef = (task: {
  readonly org: string;
  readonly name: string;
  readonly version: string;
}): string => `${task.org}/${task.name}@${task.version}`;

const checkOrg = (org: string): void => {
  if (org.length === 0) {
    throw new InvalidTaskRefError(`The org before '/' must not be empty; expected ${GRAMMAR}`);
  }
  if (org.length > ORG_SLUG_MAX_LENGTH || !ORG_SLUG_PATTERN.test(org)) {
    throw new InvalidTaskRefError(
      `Org '${org}' is not valid: use ${SLUG_RULE}, at most ${ORG_SLUG_MAX_LENGTH} characters`,
    );
  }
};

const checkName = (name: string): void => {
  if (name.length === 0) {
    throw new InvalidTaskRefError(`The task name must not be empty; expected ${GRAMMAR}`);
  }
  if (name.length > TASK_NAME_MAX_LENGTH || !TASK_NAME_PATTERN.test(name)) {
    throw new InvalidTaskRefError(
      `Task name '${name}' is not valid: use ${SLUG_RULE}, at most ${TASK_NAME_MAX_LENGTH} characters`,
    );
  }
};

const checkVersion = (version: string): void => {
  if (version.length === 0) {
    throw new InvalidTaskRefError(
      `The version after '@' must not be empty; omit '@' or write '@${LATEST}' for the latest version`,
    );
  }
  if (version !== LATEST && !isSemver(version)) {
    throw new InvalidTaskRefError(
      `Version '${version}' is not valid: use MAJOR.MINOR.PATCH (e.g. 1.2.0, no leading zeros) or '${LATEST}'`,
    );
  }
};
