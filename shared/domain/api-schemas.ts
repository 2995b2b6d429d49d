/**
 * The wire contract of `docs/api.md` as zod schemas: the single source of the request validation,
 * the response types and the OpenAPI document. Split in two so a Lambda builds only the request
 * side (see `api/requests.ts`).
 */
export * from './api/requests.ts';
export * from './api/responses.ts';
