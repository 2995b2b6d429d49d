/**
 * The body of POST keepalive (the environments-manage function).
 */
import * as z from '#shared/zod';
import { component } from '../component.ts';

export const keepaliveRequestSchema = component(
  z.strictObject({ extend_seconds: z.int().check(z.gte(60), z.lte(3600)) }),
  { id: 'KeepaliveRequest' },
);
