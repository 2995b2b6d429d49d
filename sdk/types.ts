/**
 * The SDK's request and response types: inferred from the server's zod schemas (`shared/domain`),
 * so the SDK and the API cannot disagree on a field.
 */

import type {
  createdKeyResponseSchema,
  errorEnvelopeSchema,
  keepaliveResponseSchema,
  keyListResponseSchema,
  poolListResponseSchema,
  putSecretRequestSchema,
  secretListResponseSchema,
} from '#domain/api-schemas';
import type * as z from '#shared/zod';

export type {
  CreateEnvironmentRequest,
  CreateKeyRequest,
  EnvironmentListResponse,
  EnvironmentResponse,
  EnvironmentStatusResponse,
  KeyResponse,
  PoolResponse,
  SecretResponse,
  TaskListResponse,
  TaskVersionResponse,
} from '#domain/api-schemas';
export type { EnvironmentState } from '#domain/environment';
export type { TaskManifestInput } from '#domain/manifest';
export type {
  ExecuteRequest,
  ExecuteResponse,
  ExecutionResponse,
  LogsResponse,
  VerifyRequest,
  VerifyResponse,
} from './contract.ts';

/** The canonical error body; `type` is open, since a newer server may add types. */
export type ErrorEnvelope = Omit<z.infer<typeof errorEnvelopeSchema>, 'type'> & {
  readonly type: z.infer<typeof errorEnvelopeSchema>['type'] | 'conflict_error' | (string & {});
};

export type CreatedKeyResponse = z.infer<typeof createdKeyResponseSchema>;
export type KeyListResponse = z.infer<typeof keyListResponseSchema>;
export type PoolListResponse = z.infer<typeof poolListResponseSchema>;
export type KeepaliveResponse = z.infer<typeof keepaliveResponseSchema>;
export type PutSecretRequest = z.input<typeof putSecretRequestSchema>;
export type SecretListResponse = z.infer<typeof secretListResponseSchema>;
