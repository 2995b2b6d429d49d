/** What a call of the API can fail with: its error envelope, no answer at all, or the user's Ctrl-C. */
import { errorTypeByStatus } from '#domain/errors';
import * as z from '#shared/zod';
import type { HttpAnswer } from './http.ts';

/**
 * The error body of `docs/api.md`, read leniently: a server newer than this CLI may add error types,
 * and the CLI should still print their detail.
 */
const envelopeSchema = z.object({
  code: z.number(),
  detail: z.string(),
  type: z.string(),
  errors: z.optional(
    z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })),
  ),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** The API answered with a non-2xx status; `envelope` is its body (or a stand-in when the body was not one). */
export class ApiError extends Error {
  readonly status: number;
  readonly envelope: Envelope;

  constructor(status: number, envelope: Envelope) {
    super(envelope.detail);
    this.name = 'ApiError';
    this.status = status;
    this.envelope = envelope;
  }
}

/** No HTTP answer at all: refused, DNS, TLS, or no answer within the request timeout. */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/** The caller's signal fired (Ctrl-C); nothing is retried or cleaned up. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

/** The envelope of a non-2xx answer, or a stand-in when its body is not one. */
export const toEnvelope = (response: HttpAnswer, body: unknown): Envelope => {
  const parsed = z.safeParse(envelopeSchema, body);
  if (parsed.success) return parsed.data;
  // A proxy or load balancer in front of the API may answer with its own page.
  return {
    code: response.status,
    detail: `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`,
    type:
      errorTypeByStatus[response.status] ??
      (response.status >= 500 ? 'internal_error' : 'invalid_request_error'),
  };
};
