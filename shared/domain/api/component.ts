/**
 * Names a schema as a component of the OpenAPI document (classic zod's `.meta({ id })`).
 */
import * as z from '#shared/zod';

export const component = <S extends z.core.$ZodType>(
  schema: S,
  meta: z.core.GlobalMeta & { id: string },
): S => {
  z.globalRegistry.add(schema, meta);
  return schema;
};
