/**
 * Names a schema as a component of the OpenAPI document (classic zod's `.meta({ id })`).
 *
 * Marked free of side effects for the bundler: the registry entry matters only to the OpenAPI
 * document, which names every schema, so a Lambda bundle can drop the schemas it never uses.
 */
import * as z from '#shared/zod';

/* @__NO_SIDE_EFFECTS__ */
export function component<S extends z.core.$ZodType>(schema: S, meta: z.core.GlobalMeta & { id: string }): S {
  z.globalRegistry.add(schema, meta);
  return schema;
}
