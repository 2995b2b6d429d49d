/**
 * Domain errors and their single mapping to the canonical API envelope (`docs/api.md`, "Errors").
 *
 * Every error a client can cause is one of these classes; anything else that reaches
 * {@link toErrorResponse} is unexpected and becomes a 500 whose `detail` carries nothing of
 * the original message (the `expose` flag is false for every 5xx).
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'already_exists_error'
  | 'conflict_error'
  | 'validation_error'
  | 'upgrade_required_error'
  | 'rate_limit_error'
  | 'internal_error'
  | 'bad_gateway_error'
  | 'gateway_timeout_error';

/** The `type` each status carries (`docs/api.md`, "Errors"), for clients mapping a status they got. */
export const errorTypeByStatus: Readonly<Record<number, ErrorType>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'already_exists_error',
  422: 'validation_error',
  426: 'upgrade_required_error',
  429: 'rate_limit_error',
  500: 'internal_error',
  502: 'bad_gateway_error',
  504: 'gateway_timeout_error',
};

/** One entry of a 422's `errors` list: where (`loc`), what (`msg`) and a machine-readable `type`. */
export interface FieldError {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
}

export interface ErrorEnvelope {
  code: number;
  detail: string;
  type: ErrorType;
  errors?: FieldError[];
}

export interface ErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

interface ErrorOptions {
  cause?: unknown;
}

/** Base of every error a use case may throw on purpose. */
export abstract class TaskenvError extends Error {
  abstract readonly status: number;
  abstract readonly type: ErrorType;

  /** Whether `message` may reach the client; false for every 5xx. */
  get expose(): boolean {
    return this.status < 500;
  }

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends TaskenvError {
  readonly status = 400;
  readonly type = 'invalid_request_error' as const;
}

export class AuthenticationError extends TaskenvError {
  readonly status = 401;
  readonly type = 'authentication_error' as const;
  constructor(options: ErrorOptions = {}) {
    // The detail is fixed: never tell a caller *why* their key was refused.
    super('Authentication failed', options);
  }
}

export class PermissionError extends TaskenvError {
  readonly status = 403;
  readonly type = 'permission_error' as const;
}

export class NotFoundError extends TaskenvError {
  readonly status = 404;
  readonly type = 'not_found_error' as const;
}

export class EnvironmentNotFoundError extends NotFoundError {
  constructor(id: string, options: ErrorOptions = {}) {
    super(`Environment '${id}' not found`, options);
  }
}

export class TaskNotFoundError extends NotFoundError {
  constructor(ref: string, options: ErrorOptions = {}) {
    super(`Task '${ref}' not found`, options);
  }
}

export class SecretNotFoundError extends NotFoundError {
  constructor(id: string, options: ErrorOptions = {}) {
    super(`Secret '${id}' not found`, options);
  }
}

export class PoolNotFoundError extends NotFoundError {
  constructor(name: string, options: ErrorOptions = {}) {
    super(`Pool '${name}' not found`, options);
  }
}

export class ExecutionNotFoundError extends NotFoundError {
  constructor(id: string, options: ErrorOptions = {}) {
    super(`Execution '${id}' not found`, options);
  }
}

export class RouteNotFoundError extends NotFoundError {
  constructor(method: string, path: string, options: ErrorOptions = {}) {
    super(`No route for ${method} ${path}`, options);
  }
}

export class AlreadyExistsError extends TaskenvError {
  readonly status = 409;
  readonly type = 'already_exists_error' as const;
}

/** The environment's state does not allow the operation (409 `conflict_error`): execute or verify when not `ready`, keepalive of a final environment. */
export class ConflictError extends TaskenvError {
  readonly status = 409;
  readonly type = 'conflict_error' as const;
}

export class ValidationError extends TaskenvError {
  readonly status = 422;
  readonly type = 'validation_error' as const;
  readonly errors: readonly FieldError[];

  constructor(
    errors: readonly FieldError[],
    message = 'Request validation failed',
    options: ErrorOptions = {},
  ) {
    super(message, options);
    this.errors = errors;
  }
}

export class UpgradeRequiredError extends TaskenvError {
  readonly status = 426;
  readonly type = 'upgrade_required_error' as const;
}

export class RateLimitError extends TaskenvError {
  readonly status = 429;
  readonly type = 'rate_limit_error' as const;
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options: ErrorOptions = {}) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Concurrent-environment quota of an org is used up. */
export class QuotaExceededError extends RateLimitError {
  constructor(org: string, limit: number, options: ErrorOptions = {}) {
    super(`Org '${org}' has reached its limit of ${limit} concurrent environments`, 30, options);
  }
}

/** An environment already runs as many executions as it may at once. */
export class TooManyExecutionsError extends RateLimitError {
  constructor(limit: number, options: ErrorOptions = {}) {
    super(`The environment already runs ${limit} executions; wait for one to finish`, 5, options);
  }
}

export class InternalError extends TaskenvError {
  readonly status = 500;
  readonly type = 'internal_error' as const;
}

/**
 * The container platform refused a launch; the environment is already marked failed. Its
 * message is written by us from the platform's failure reason (never a raw exception), so
 * unlike other 5xx it is shown to the client.
 */
export class BadGatewayError extends TaskenvError {
  readonly status = 502;
  readonly type = 'bad_gateway_error' as const;
  override get expose(): boolean {
    return true;
  }
}

export class GatewayTimeoutError extends TaskenvError {
  readonly status = 504;
  readonly type = 'gateway_timeout_error' as const;
}

const GENERIC_DETAIL: Record<number, string> = {
  500: 'Internal server error',
  502: 'The container platform refused the request',
  504: 'A dependency timed out',
};

/**
 * The one mapping from any thrown value to the canonical envelope. Unknown values become a
 * generic 500; a 5xx never exposes its message.
 */
export const toErrorResponse = (error: unknown): ErrorResponse => {
  if (!(error instanceof TaskenvError)) {
    return envelope(500, 'internal_error', GENERIC_DETAIL[500] ?? 'Internal server error');
  }
  const detail = error.expose ? error.message : (GENERIC_DETAIL[error.status] ?? 'Internal server error');
  const response = envelope(error.status, error.type, detail);
  if (error instanceof ValidationError) {
    response.body.errors = error.errors.map((e) => ({ loc: [...e.loc], msg: e.msg, type: e.type }));
  }
  if (error instanceof RateLimitError) {
    response.headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return response;
};

const envelope = (statusCode: number, type: ErrorType, detail: string): ErrorResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: { code: statusCode, detail, type },
});
