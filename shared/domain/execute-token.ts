/**
 * What the execute-token adapters share (`docs/design.md`, "Execute, executions and verify"): the
 * message an environment's token is the HMAC-SHA-256 of, and the token's wire form.
 */

/** Domain-separated, so a MAC of this key over anything else is never a valid token. */
export const executeTokenMessage = (environmentId: string): string =>
  `taskenv:execute-token:v1:${environmentId}`;

/** An HMAC-SHA-256 in base64url without padding: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The 32 MAC bytes of a well-formed token, or null (then it is surely wrong). */
export const executeTokenBytes = (token: string): Buffer | null =>
  TOKEN_PATTERN.test(token) ? Buffer.from(token, 'base64url') : null;
