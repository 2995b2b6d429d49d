import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  AuthenticationError,
  BadGatewayError,
  EnvironmentNotFoundError,
  errorTypeByStatus,
  GatewayTimeoutError,
  InternalError,
  InvalidRequestError,
  PermissionError,
  QuotaExceededError,
  SecretNotFoundError,
  type TaskenvError,
  TaskNotFoundError,
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
});
