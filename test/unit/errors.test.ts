import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  AuthenticationError,
  BadGatewayError,
  ConflictError,
  EnvironmentNotFoundError,
  ExecutionNotFoundError,
  errorTypeByStatus,
  GatewayTimeoutError,
  InternalError,
  InvalidRequestError,
  PermissionError,
  PoolNotFoundError,
  QuotaExceededError,
  RouteNotFoundError,
  SecretNotFoundError,
  type TaskenvError,
  TaskNotFoundError,
  TooManyExecutionsError,
  toErrorResponse,
  UpgradeRequiredError,
  ValidationError,
} from '#domain/errors';

/** One instance of every status `docs/api.md` lists, as the use cases raise them. */
const raised: readonly TaskenvError[] = [
  new InvalidRequestError('Request body is not valid JSON'),
  new AuthenticationError(),
  new PermissionError("This API key is not valid for workspace 'b'"),
  new TaskNotFoundError('acme/web'),
  new AlreadyExistsError('Task acme/web@1.0.0 already exists'),
  new ValidationError([{ loc: ['body', 'timeout_sec'], msg: 'Expected integer', type: 'invalid_type' }]),
  new UpgradeRequiredError('Client version 0.9.0 is below the minimum 1.0.0; please upgrade'),
  new QuotaExceededError('acme', 5),
  new InternalError('table scan went wrong at item 7'),
  new BadGatewayError('The container platform refused the launch: RESOURCE:MEMORY'),
  new GatewayTimeoutError('ECS did not answer within 10 s'),
];

describe('the canonical envelope', () => {
  it('covers the eleven statuses of docs/api.md, each with its type, and nothing else', () => {
    // Act
    const answered = raised.map((error) => toErrorResponse(error));

    // Assess
    expect(answered.map((r) => r.statusCode)).toEqual([
      400, 401, 403, 404, 409, 422, 426, 429, 500, 502, 504,
    ]);
    for (const response of answered) {
      expect(response.body.code).toBe(response.statusCode);
      expect(response.body.type).toBe(errorTypeByStatus[response.statusCode]);
      expect(Object.keys(response.body).sort()).toEqual(
        response.statusCode === 422 ? ['code', 'detail', 'errors', 'type'] : ['code', 'detail', 'type'],
      );
      expect(response.headers['content-type']).toBe('application/json');
    }
    expect(Object.keys(errorTypeByStatus).map(Number)).toEqual(answered.map((r) => r.statusCode));
  });

  it('shows a client error its message, and the fixed detail for a refused key', () => {
    expect(toErrorResponse(new TaskNotFoundError('acme/web')).body.detail).toBe("Task 'acme/web' not found");
    expect(toErrorResponse(new EnvironmentNotFoundError('e-1')).body.detail).toBe(
      "Environment 'e-1' not found",
    );
    expect(toErrorResponse(new SecretNotFoundError('db-pass')).body.detail).toBe(
      "Secret 'db-pass' not found",
    );
    expect(toErrorResponse(new AuthenticationError()).body.detail).toBe('Authentication failed');
  });

  it('never shows the message of a 500 or 504, nor of anything that is not a domain error', () => {
    // Act
    const internal = toErrorResponse(new InternalError('table scan went wrong at item 7'));
    const timeout = toErrorResponse(new GatewayTimeoutError('ECS did not answer within 10 s'));
    const thrown = toErrorResponse(new TypeError("Cannot read properties of undefined (reading 'pk')"));
    const oddity = toErrorResponse('a string was thrown');

    // Assess
    expect(internal.body).toEqual({ code: 500, detail: 'Internal server error', type: 'internal_error' });
    expect(timeout.body).toEqual({
      code: 504,
      detail: 'A dependency timed out',
      type: 'gateway_timeout_error',
    });
    expect(thrown.body).toEqual({ code: 500, detail: 'Internal server error', type: 'internal_error' });
    expect(oddity.body).toEqual({ code: 500, detail: 'Internal server error', type: 'internal_error' });
  });

  it("shows a 502 the platform's reason, which taskenv wrote itself", () => {
    const response = toErrorResponse(
      new BadGatewayError('The container platform refused the launch: RESOURCE:MEMORY'),
    );
    expect(response.body.detail).toBe('The container platform refused the launch: RESOURCE:MEMORY');
  });

  it('lists field errors on a 422 and sets Retry-After on a 429', () => {
    // Act
    const invalid = toErrorResponse(raised[5]);
    const limited = toErrorResponse(new QuotaExceededError('acme', 5));

    // Assess
    expect(invalid.body.errors).toEqual([
      { loc: ['body', 'timeout_sec'], msg: 'Expected integer', type: 'invalid_type' },
    ]);
    expect(limited.headers['retry-after']).toBe('30');
    expect(limited.body.detail).toBe("Org 'acme' has reached its limit of 5 concurrent environments");
  });

  it('keeps the cause and names each error after its class', () => {
    const cause = new Error('ConditionalCheckFailed');
    const error = new AlreadyExistsError('exists', { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('AlreadyExistsError');
    expect(new QuotaExceededError('acme', 1).name).toBe('QuotaExceededError');
  });

  it('names what was not found, and answers a state conflict with 409 conflict_error', () => {
    expect(toErrorResponse(new PoolNotFoundError('warm')).body).toEqual({
      code: 404,
      detail: "Pool 'warm' not found",
      type: 'not_found_error',
    });
    expect(toErrorResponse(new ExecutionNotFoundError('x-1')).body.detail).toBe("Execution 'x-1' not found");
    expect(toErrorResponse(new RouteNotFoundError('PATCH', '/api/v1/nope')).body.detail).toBe(
      'No route for PATCH /api/v1/nope',
    );
    expect(toErrorResponse(new ConflictError("Environment 'e-1' is not ready")).body).toEqual({
      code: 409,
      detail: "Environment 'e-1' is not ready",
      type: 'conflict_error',
    });
  });

  it('asks a client over its execution limit to retry after 5 s', () => {
    const response = toErrorResponse(new TooManyExecutionsError(8));
    expect(response.statusCode).toBe(429);
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '5' });
    expect(response.body).toEqual({
      code: 429,
      detail: 'The environment already runs 8 executions; wait for one to finish',
      type: 'rate_limit_error',
    });
  });

  it('sets Retry-After only on a 429, and copies the field errors', () => {
    expect(toErrorResponse(new ConflictError('x')).headers).toEqual({ 'content-type': 'application/json' });
    const errors = [{ loc: ['body', 'a', 0], msg: 'Required', type: 'missing' }];
    const body = toErrorResponse(new ValidationError(errors, 'Manifest invalid')).body;
    expect(body).toEqual({ code: 422, detail: 'Manifest invalid', type: 'validation_error', errors });
    expect(body.errors?.[0]).not.toBe(errors[0]);
  });

  it('exposes the message of every 4xx and of a 502 only', () => {
    expect(new InvalidRequestError('x').expose).toBe(true);
    expect(new TooManyExecutionsError(1).expose).toBe(true);
    expect(new BadGatewayError('x').expose).toBe(true);
    expect(new InternalError('x').expose).toBe(false);
    expect(new GatewayTimeoutError('x').expose).toBe(false);
  });

  it('says "Request validation failed" when a 422 names no detail', () => {
    expect(toErrorResponse(new ValidationError([])).body.detail).toBe('Request validation failed');
  });

  it('has no cause unless one is given', () => {
    expect('cause' in new InvalidRequestError('x')).toBe(false);
    expect(new AuthenticationError({ cause: 'key revoked' }).cause).toBe('key revoked');
  });
});
