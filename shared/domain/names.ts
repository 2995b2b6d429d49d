/**
 * The identifier grammars of taskenv: org and workspace slugs, task names, project ids and
 * secret ids. Each comes as a regex (for code that has to split or match strings itself, like
 * the task-ref parser), a maximum length and a zod schema (for request and manifest parsing).
 *
 * None of them admits `#`, `/`, `@` or whitespace: `#` separates the parts of DynamoDB keys,
 * `/` and `@` separate the parts of a task ref, and slugs end up in URLs and ECS family names.
 */
import * as z from '#shared/zod';

/** Lowercase letters, digits and `-`, not starting with `-`: safe in URLs, DNS-ish names and ECS families. */
const lowercaseSlugPattern = /^[a-z0-9][a-z0-9-]*$/;

export const ORG_SLUG_PATTERN = lowercaseSlugPattern;
export const ORG_SLUG_MAX_LENGTH = 64;

const WORKSPACE_SLUG_PATTERN = lowercaseSlugPattern;
const WORKSPACE_SLUG_MAX_LENGTH = 64;

export const TASK_NAME_PATTERN = lowercaseSlugPattern;
export const TASK_NAME_MAX_LENGTH = 64;

/** Free grouping key chosen by clients, so it is more permissive than a slug (case, `.` and `_`). */
const PROJECT_ID_PATTERN = /^[A-Za-z0-9._-]+$/;
const PROJECT_ID_MAX_LENGTH = 128;

/**
 * Upper case is allowed because clients often name a secret after its env var (`API_KEY`);
 * the first character is still a letter or digit so an id never starts with a separator.
 */
const SECRET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const SECRET_ID_MAX_LENGTH = 128;

const slugRule = "lowercase letters, digits and '-', starting with a letter or digit";

const boundedPattern = (pattern: RegExp, maxLength: number, rule: string) =>
  z
    .string()
    .check(
      z.minLength(1, 'Must not be empty'),
      z.maxLength(maxLength, `Must be at most ${maxLength} characters`),
      z.regex(pattern, `Must contain only ${rule}`),
    );

/** Org slug: `[a-z0-9][a-z0-9-]*`, at most 64 characters. */
export const orgSlug = boundedPattern(ORG_SLUG_PATTERN, ORG_SLUG_MAX_LENGTH, slugRule);

/** Workspace slug: `[a-z0-9][a-z0-9-]*`, at most 64 characters. */
export const workspaceSlug = boundedPattern(WORKSPACE_SLUG_PATTERN, WORKSPACE_SLUG_MAX_LENGTH, slugRule);

/** Task name: `[a-z0-9][a-z0-9-]*`, at most 64 characters. */
const _taskName = boundedPattern(TASK_NAME_PATTERN, TASK_NAME_MAX_LENGTH, slugRule);

/** Project id: 1 to 128 characters of `[A-Za-z0-9._-]`. */
export const projectId = boundedPattern(
  PROJECT_ID_PATTERN,
  PROJECT_ID_MAX_LENGTH,
  "letters, digits, '.', '_' and '-'",
);

/** Secret id: `[A-Za-z0-9][A-Za-z0-9_-]*`, at most 128 characters. */
export const secretId = boundedPattern(
  SECRET_ID_PATTERN,
  SECRET_ID_MAX_LENGTH,
  "letters, digits, '_' and '-', starting with a letter or digit",
);
