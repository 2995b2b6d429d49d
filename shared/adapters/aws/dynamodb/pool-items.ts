/** The item codec of pools and slots: records to DynamoDB items and back (parsed, never trusted). */
import { endpointSchema, serviceUrlSchema } from '#domain/environment';
import { type PoolRecord, type SlotRecord, slotStates } from '#domain/pool';
import * as z from '#shared/zod';
import { endedSlotKey, slotIdKeys, slotKey } from './keys.ts';

/**
 * Claimed and retired slots stay this long (the events of a claimed task find its environment
 * through them; late events of a retired one find it retired), then TTL. Outside the pool's
 * partition, so they never slow its listing.
 */
const SLOT_RETENTION_SEC = 7 * 24 * 3600;

// Both built on first use: most functions bundling this codec never read a pool or slot.
const poolSchema = z.onFirstUse(() =>
  z.object({
    org: z.string(),
    name: z.string(),
    taskRef: z.string(),
    size: z.number(),
    claimedTotal: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);

export const poolFromItem = (item: Record<string, unknown>): PoolRecord => poolSchema().parse(item);

const slotFields = (slot: SlotRecord): Record<string, unknown> => ({
  id: slot.id,
  org: slot.org,
  pool: slot.pool,
  taskRef: slot.taskRef,
  state: slot.state,
  taskArn: slot.taskArn ?? undefined,
  eventVersion: slot.eventVersion,
  endpoints: slot.endpoints,
  serviceUrls: slot.serviceUrls ?? undefined,
  environmentId: slot.environmentId ?? undefined,
  createdAt: slot.createdAt,
  updatedAt: slot.updatedAt,
  retiredReason: slot.retiredReason ?? undefined,
});

export const waitingSlotItem = (slot: SlotRecord): Record<string, unknown> => ({
  ...slotKey(slot.org, slot.pool, slot.id),
  ...slotIdKeys(slot.id),
  ...slotFields(slot),
});

export const endedSlotItem = (slot: SlotRecord): Record<string, unknown> => ({
  ...endedSlotKey(slot.id),
  ...slotFields(slot),
  ttl: Math.floor(Date.parse(slot.updatedAt) / 1000) + SLOT_RETENTION_SEC,
});

const slotSchema = z.onFirstUse(() =>
  z.object({
    id: z.string(),
    org: z.string(),
    pool: z.string(),
    taskRef: z.string(),
    state: z.enum(slotStates),
    taskArn: z.nullish(z.string()),
    eventVersion: z.number(),
    endpoints: z.array(endpointSchema),
    serviceUrls: z.nullish(z.record(z.string(), serviceUrlSchema)),
    environmentId: z.nullish(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    retiredReason: z.nullish(z.string()),
  }),
);

export const slotFromItem = (item: Record<string, unknown>): SlotRecord => {
  const parsed = slotSchema().parse(item);
  return {
    ...parsed,
    taskArn: parsed.taskArn ?? null,
    serviceUrls: parsed.serviceUrls ?? null,
    environmentId: parsed.environmentId ?? null,
    retiredReason: parsed.retiredReason ?? null,
  };
};
