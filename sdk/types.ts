/**
 * The SDK's request and response types: inferred from the server's zod schemas (`shared/domain`),
 * so the SDK and the API cannot disagree on a field.
 */

import type {
  createdKeyResponseSchema,
  errorEnvelopeSchema,
  executeRequestSchema,
  keepaliveResponseSchema,
  keyListResponseSchema,
  poolListResponseSchema,
  putSecretRequestSchema,
  secretListResponseSchema,
  verifyRequestSchema,
} from '#domain/api-schemas';
import type * as z from '#shared/zod';

export type {
  CreateEnvironmentRequest,
  CreateKeyRequest,
  EnvironmentListResponse,
  EnvironmentResponse,
  EnvironmentStatusResponse,
  ExecuteResponse,
  ExecutionAcceptedResponse,
  ExecutionResponse,
  KeyResponse,
  LogsResponse,
  PoolResponse,
  SecretResponse,
  TaskListResponse,
  TaskVersionResponse,
  VerifyResponse,
} from '#domain/api-schemas';
export type { EnvironmentState } from '#domain/environment';
export type { TaskManifestInput } from '#domain/manifest';

/** The canonical error body; `type` is open, since a newer server may add types. */
export type ErrorEnvelope = Omit<z.infer<typeof errorEnvelopeSchema>, 'type'> & {
  readonly type: z.infer<typeof errorEnvelopeSchema>['type'] | 'conflict_error' | (string & {});
};

export type CreatedKeyResponse = z.infer<typeof createdKeyResponseSchema>;
export type KeyListResponse = z.infer<typeof keyListResponseSchema>;
export type PoolListResponse = z.infer<typeof poolListResponseSchema>;
/** What a caller sends: fields with a server default (`timeout_sec`) may be left out. */
export type ExecuteRequest = z.input<typeof executeRequestSchema>;
export type VerifyRequest = NonNullable<z.input<typeof verifyRequestSchema>>;
export type KeepaliveResponse = z.infer<typeof keepaliveResponseSchema>;
export type PutSecretRequest = z.input<typeof putSecretRequestSchema>;
export type SecretListResponse = z.infer<typeof secretListResponseSchema>;
