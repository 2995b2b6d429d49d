/**
 * What the SDK throws. Every non-2xx answer is an {@link APIError} subclass chosen by the
 * envelope's `type` (`docs/api.md`, "Errors"), carrying the envelope itself; failures with no HTTP
 * answer are {@link APIConnectionError}; a fired `AbortSignal` is {@link APIAbortError}.
 */
import type { ErrorEnvelope } from './types.ts';

/** The base of every error the SDK throws. */
export class TaskenvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskenvError';
  }
}

/** The API answered with a non-2xx status. */
export class APIError extends TaskenvError {
  readonly status: number;
  readonly type: string;
  readonly envelope: ErrorEnvelope;
  readonly headers: Headers;

  constructor(status: number, envelope: ErrorEnvelope, headers: Headers) {
    super(`${status} ${envelope.type}: ${envelope.detail}`);
    this.name = 'APIError';
    this.status = status;
    this.type = envelope.type;
    this.envelope = envelope;
    this.headers = headers;
  }
}

export class InvalidRequestError extends APIError {
  override readonly name = 'InvalidRequestError';
}
export class AuthenticationError extends APIError {
  override readonly name = 'AuthenticationError';
}
export class PermissionDeniedError extends APIError {
  override readonly name = 'PermissionDeniedError';
}
export class NotFoundError extends APIError {
  override readonly name = 'NotFoundError';
}
/** 409 `already_exists_error`: a task version that exists, an idempotency key reused with another body. */
export class AlreadyExistsError extends APIError {
  override readonly name = 'AlreadyExistsError';
}
/** 409 `conflict_error`: the environment's state does not allow the operation. */
export class ConflictError extends APIError {
  override readonly name = 'ConflictError';
}
export class ValidationError extends APIError {
  override readonly name = 'ValidationError';
}
export class UpgradeRequiredError extends APIError {
  override readonly name = 'UpgradeRequiredError';
}
export class RateLimitError extends APIError {
  override readonly name = 'RateLimitError';
}
export class InternalServerError extends APIError {
  override readonly name = 'InternalServerError';
}
export class BadGatewayError extends APIError {
  override readonly name = 'BadGatewayError';
}
export class GatewayTimeoutError extends APIError {
  override readonly name = 'GatewayTimeoutError';
}

type APIErrorClass = new (status: number, envelope: ErrorEnvelope, headers: Headers) => APIError;

const byType: Readonly<Record<string, APIErrorClass>> = {
  invalid_request_error: InvalidRequestError,
  authentication_error: AuthenticationError,
  permission_error: PermissionDeniedError,
  not_found_error: NotFoundError,
  already_exists_error: AlreadyExistsError,
  conflict_error: ConflictError,
  validation_error: ValidationError,
  upgrade_required_error: UpgradeRequiredError,
  rate_limit_error: RateLimitError,
  internal_error: InternalServerError,
  bad_gateway_error: BadGatewayError,
  gateway_timeout_error: GatewayTimeoutError,
};

/** The class for an envelope's type; a type newer than this SDK is a plain {@link APIError}. */
export const apiErrorFor = (status: number, envelope: ErrorEnvelope, headers: Headers): APIError =>
  new (byType[envelope.type] ?? APIError)(status, envelope, headers);

/** No HTTP answer: refused, reset, DNS, TLS, or none within the request timeout. */
export class APIConnectionError extends TaskenvError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'APIConnectionError';
  }
}

/** The request timeout passed without an answer. */
export class APITimeoutError extends APIConnectionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'APITimeoutError';
  }
}

/** The caller's `AbortSignal` fired; nothing more is sent. */
export class APIAbortError extends TaskenvError {
  constructor(options?: { cause?: unknown }) {
    super('the request was aborted', options);
    this.name = 'APIAbortError';
  }
}

/** A wait for a state ended without reaching it: the environment failed or was torn down. */
export class EnvironmentFailedError extends TaskenvError {
  readonly environmentId: string;
  readonly state: string;
  readonly error: string | null;

  constructor(environmentId: string, state: string, error: string | null) {
    super(`environment ${environmentId} is ${state}${error === null ? '' : `: ${error}`}`);
    this.name = 'EnvironmentFailedError';
    this.environmentId = environmentId;
    this.state = state;
    this.error = error;
  }
}

/** A wait ran out of time; the environment goes on, so the caller decides what to do with it. */
export class WaitTimeoutError extends TaskenvError {
  readonly environmentId: string;
  readonly state: string;

  constructor(environmentId: string, state: string, waitedMs: number) {
    super(`environment ${environmentId} is still ${state} after ${Math.round(waitedMs / 1000)} s`);
    this.name = 'WaitTimeoutError';
    this.environmentId = environmentId;
    this.state = state;
  }
}
