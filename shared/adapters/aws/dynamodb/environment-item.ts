/**
 * The item codec of an environment: the record as stored (with every index key it carries) and
 * back, parsed, so a malformed item fails loudly instead of reaching a use case.
 */
import {
  type EnvironmentRecord,
  type EnvironmentSummary,
  endpointSchema,
  environmentStateSchema,
  environmentSummaryFields,
  isFinal,
  readinessSchema,
  serviceUrlSchema,
  stopReasons,
} from '#domain/environment';
import * as z from '#shared/zod';
import { environmentFilterKeys, environmentKey, environmentListKeys, liveKeys } from './keys.ts';

export const toItem = (record: EnvironmentRecord): Record<string, unknown> => ({
  ...environmentKey(record.id),
  ...environmentListKeys(record),
  ...environmentFilterKeys(record),
  ...(isFinal(record.state) ? {} : liveKeys(record.id, record.expiresAt)),
  id: record.id,
  org: record.org,
  workspace: record.workspace,
  projectId: record.projectId,
  taskRef: record.taskRef,
  state: record.state,
  eventVersion: record.eventVersion,
  taskArn: record.taskArn ?? undefined,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  expiresAt: record.expiresAt ?? undefined,
  timeoutSec: record.timeoutSec,
  inputs: record.inputs,
  secretIds: record.secretIds,
  endpoints: record.endpoints,
  instructionTemplate: record.instructionTemplate ?? undefined,
  instruction: record.instruction ?? undefined,
  serviceUrls: record.serviceUrls ?? undefined,
  taskVerification: record.taskVerification ?? undefined,
  error: record.error ?? undefined,
  stopReason: record.stopReason ?? undefined,
  launchAttempts: record.launchAttempts,
  maxLifetimeSec: record.maxLifetimeSec,
  launchRetryAt: record.launchRetryAt ?? undefined,
  readiness: record.readiness ?? undefined,
  previousState: record.previousState ?? undefined,
});

// Built on first use: functions that never read an environment item skip its ~60 schemas.
const itemSchema = z.onFirstUse(() =>
  z.object({
    id: z.string(),
    org: z.string(),
    workspace: z.string(),
    projectId: z.string(),
    taskRef: z.string(),
    state: environmentStateSchema,
    eventVersion: z.number(),
    taskArn: z.nullish(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.nullish(z.string()),
    timeoutSec: z.number(),
    inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    secretIds: z.array(z.string()),
    endpoints: z.array(endpointSchema),
    instructionTemplate: z.nullish(z.string()),
    instruction: z.nullish(z.string()),
    serviceUrls: z.nullish(z.record(z.string(), serviceUrlSchema)),
    taskVerification: z.nullish(z.record(z.string(), z.unknown())),
    error: z.nullish(z.string()),
    stopReason: z.nullish(z.enum(stopReasons)),
    launchAttempts: z.number(),
    verification: z.nullish(z.object({ passed: z.boolean(), verifiedAt: z.string() })),
    maxLifetimeSec: z.optional(z.number()),
    launchRetryAt: z.nullish(z.string()),
    readiness: z.nullish(readinessSchema),
    previousState: z.nullish(environmentStateSchema),
  }),
);

export const fromItem = (item: Record<string, unknown>): EnvironmentRecord => {
  const { verification, maxLifetimeSec, ...parsed } = itemSchema().parse(item);
  return {
    ...parsed,
    ...(maxLifetimeSec === undefined ? {} : { maxLifetimeSec }),
    taskArn: parsed.taskArn ?? null,
    expiresAt: parsed.expiresAt ?? null,
    instructionTemplate: parsed.instructionTemplate ?? null,
    instruction: parsed.instruction ?? null,
    serviceUrls: parsed.serviceUrls ?? null,
    taskVerification: parsed.taskVerification ?? null,
    error: parsed.error ?? null,
    stopReason: parsed.stopReason ?? null,
    // Absent until the first verify, so a record reads back as it was stored.
    ...(verification === undefined || verification === null ? {} : { verification }),
    launchRetryAt: parsed.launchRetryAt ?? null,
    readiness: parsed.readiness ?? null,
    previousState: parsed.previousState ?? null,
  };
};

// Only the summary's fields: a page's items are parsed against this, not the ~30 fields above.
const summaryMask = {
  id: true,
  taskRef: true,
  state: true,
  createdAt: true,
  expiresAt: true,
  projectId: true,
  instruction: true,
  serviceUrls: true,
  taskVerification: true,
  error: true,
  verification: true,
} as const satisfies Record<(typeof environmentSummaryFields)[number], true>;
const summarySchema = z.onFirstUse(() => z.pick(itemSchema(), summaryMask));

/**
 * A listed environment, from the listing index's copy (it projects only the summary's fields)
 * or an item read with {@link summaryProjection}.
 */
export const fromSummaryItem = (item: Record<string, unknown>): EnvironmentSummary => {
  const { verification, ...parsed } = summarySchema().parse(item);
  return {
    id: parsed.id,
    taskRef: parsed.taskRef,
    state: parsed.state,
    createdAt: parsed.createdAt,
    expiresAt: parsed.expiresAt ?? null,
    projectId: parsed.projectId,
    instruction: parsed.instruction ?? null,
    serviceUrls: parsed.serviceUrls ?? null,
    taskVerification: parsed.taskVerification ?? null,
    error: parsed.error ?? null,
    ...(verification === undefined || verification === null ? {} : { verification }),
  };
};

/** A read of only the summary's attributes (`ProjectionExpression` and its names). */
export const summaryProjection = {
  ProjectionExpression: environmentSummaryFields.map((_, i) => `#f${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(environmentSummaryFields.map((f, i) => [`#f${i}`, f])),
} as const;

/** The stored item of an environment, for another store's transaction that puts one (a pool claim). */
export const environmentItem = (record: EnvironmentRecord): Record<string, unknown> => toItem(record);
