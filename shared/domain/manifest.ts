/**
 * The task manifest (`task.yaml`, published as JSON; `docs/design.md`, "Task manifest"): the one
 * schema a task version must satisfy before it is registered, plus the derived facts other
 * modules need (the exposed endpoints). One service's schema is `service-manifest.ts`, the
 * Fargate sizes `fargate.ts`, the redacted verification config `verification.ts`.
 */
import { Buffer } from 'node:buffer';
import * as z from '#shared/zod';
import { type FieldError, ValidationError } from './errors.ts';
import { FARGATE_SIZES } from './fargate.ts';
import { INPUT_TYPES, type InputValue, inputValueProblem } from './inputs.ts';
import {
  ENVIRONMENT_ID_VARIABLE,
  MAX_INSTRUCTION_BYTES,
  SERVICE_VARIABLE_SUFFIXES,
  serviceEndpoints,
  trialRenderProblems,
  unknownTemplateVariables,
} from './instruction.ts';
import { DYNAMODB_MAX_DEPTH, jsonShapeProblems } from './json-shape.ts';
import { semverSchema } from './semver.ts';
import {
  BUILD_NOT_PUBLISHABLE,
  keyedRecord,
  PLATFORMS,
  serviceSchema,
  servicesWithBuild,
} from './service-manifest.ts';
import { parseOrThrow } from './validation.ts';

/** ECS allows at most 10 containers in one task definition; each service is a container. */
const MAX_SERVICES = 10;

/**
 * How deep a manifest may nest: it is stored as one attribute of the task version's item, one
 * level below DynamoDB's limit of {@link DYNAMODB_MAX_DEPTH}.
 */
const MAX_MANIFEST_DEPTH = DYNAMODB_MAX_DEPTH - 1;

// Every schema of the manifest is built on its first use, not when the module loads: each function
// bundling the task registry loaded ~140 of them, and most never parse a manifest on their first
// invocation (docs/benchmarks.md, "Cold start").
const buildTaskManifestSchema = () => {
  const inputValueSchema = z.union([z.string(), z.number(), z.boolean()]);

  const NUMERIC_TYPES: ReadonlySet<string> = new Set(['integer', 'number']);

  /** One declared input. A default or enum value must itself satisfy the declaration. */
  const inputDeclarationSchema = z
    .strictObject({
      type: z.enum(INPUT_TYPES),
      required: z.optional(z.boolean()),
      default: z.optional(inputValueSchema),
      enum: z.optional(z.array(inputValueSchema).check(z.minLength(1))),
      minimum: z.optional(z.number()),
      maximum: z.optional(z.number()),
      description: z.optional(z.string().check(z.maxLength(1024))),
    })
    .check(
      z.superRefine((declaration, ctx) => {
        for (const bound of ['minimum', 'maximum'] as const) {
          if (declaration[bound] !== undefined && !NUMERIC_TYPES.has(declaration.type)) {
            ctx.addIssue({
              code: 'custom',
              message: `${bound} applies only to integer and number inputs`,
              path: [bound],
            });
          }
        }
        if (
          declaration.minimum !== undefined &&
          declaration.maximum !== undefined &&
          declaration.minimum > declaration.maximum
        ) {
          ctx.addIssue({ code: 'custom', message: 'minimum must not exceed maximum', path: ['minimum'] });
        }
        const seen: InputValue[] = [];
        for (const [index, value] of (declaration.enum ?? []).entries()) {
          // Enum values are checked against type and bounds only; membership would be circular.
          const problem = inputValueProblem({ ...declaration, enum: undefined }, value);
          if (problem !== null) {
            ctx.addIssue({ code: 'custom', message: problem.msg, path: ['enum', index] });
          } else if (seen.includes(value)) {
            ctx.addIssue({ code: 'custom', message: 'Duplicate value', path: ['enum', index] });
          }
          seen.push(value);
        }
        if (declaration.default !== undefined) {
          if (declaration.required === true) {
            // Either the client must give it or the default applies; both at once is an author mistake.
            ctx.addIssue({
              code: 'custom',
              message: 'A required input cannot have a default',
              path: ['default'],
            });
          }
          const problem = inputValueProblem(declaration, declaration.default);
          if (problem !== null) {
            ctx.addIssue({ code: 'custom', message: problem.msg, path: ['default'] });
          }
        }
      }),
    );

  const inputName = z
    .string()
    .check(z.maxLength(64), z.regex(/^[a-z_][a-z0-9_]*$/, 'Must match [a-z_][a-z0-9_]*'));

  const serviceName = z
    .string()
    .check(z.maxLength(32), z.regex(/^[a-z][a-z0-9-]*$/, 'Must match [a-z][a-z0-9-]*'));

  const resourcesSchema = z
    .strictObject({ cpu: z.int().check(z.gte(1)), memory: z.int().check(z.gte(1)) })
    .check(
      z.superRefine(({ cpu, memory }, ctx) => {
        const memories = FARGATE_SIZES.get(cpu);
        if (memories === undefined) {
          const cpus = [...FARGATE_SIZES.keys()].join(', ');
          ctx.addIssue({ code: 'custom', message: `cpu must be one of ${cpus}`, path: ['cpu'] });
        } else if (!memories.includes(memory)) {
          ctx.addIssue({
            code: 'custom',
            message: `memory for cpu ${cpu} must be one of ${memories.join(', ')}`,
            path: ['memory'],
          });
        }
      }),
    );

  const timeoutSeconds = z.int().check(z.gte(60), z.lte(86400));

  const timeoutSchema = z
    .strictObject({ default_sec: z.optional(timeoutSeconds), max_sec: z.optional(timeoutSeconds) })
    .check(
      z.superRefine((timeout, ctx) => {
        if (
          timeout.default_sec !== undefined &&
          timeout.max_sec !== undefined &&
          timeout.default_sec > timeout.max_sec
        ) {
          ctx.addIssue({
            code: 'custom',
            message: 'default_sec must not exceed max_sec',
            path: ['default_sec'],
          });
        }
      }),
    );

  /** How a solution is checked; `method` picks the checker, the other keys are its settings. */
  const verificationSchema = z.looseObject({ method: z.string().check(z.minLength(1)) });

  const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

  return z
    .strictObject({
      name: z
        .string()
        .check(z.maxLength(64), z.regex(/^[a-z0-9][a-z0-9-]*$/, 'Must match [a-z0-9][a-z0-9-]*')),
      version: semverSchema,
      description: z.optional(z.string().check(z.maxLength(2048))),
      public: z._default(z.boolean(), false),
      instruction: z.string().check(
        z.refine((text) => utf8Bytes(text) <= MAX_INSTRUCTION_BYTES, {
          message: `Must be at most ${MAX_INSTRUCTION_BYTES} bytes`,
        }),
      ),
      inputs: z._default(keyedRecord(inputName, inputDeclarationSchema), {}),
      services: keyedRecord(serviceName, serviceSchema()).check(
        z.refine((services) => Object.keys(services).length > 0, {
          message: 'At least one service is required',
        }),
        z.refine((services) => Object.keys(services).length <= MAX_SERVICES, {
          message: `At most ${MAX_SERVICES} services are allowed`,
        }),
      ),
      platform: z._default(z.enum(PLATFORMS), 'linux/amd64'),
      resources: z._default(resourcesSchema, { cpu: 256, memory: 512 }),
      timeout: z._default(timeoutSchema, {}),
      verification: z.optional(verificationSchema),
    })
    .check(
      z.superRefine((manifest, ctx) => {
        const services = Object.entries(manifest.services);
        if (services.length > 0 && !services.some(([, service]) => service.essential)) {
          // ECS refuses a task definition without an essential container.
          ctx.addIssue({
            code: 'custom',
            message: 'At least one service must be essential',
            path: ['services'],
          });
        }
        // awsvpc gives all containers of a task one network namespace: a port can be bound once.
        const portOwners = new Map<number, string>();
        for (const [name, service] of services) {
          for (const [index, p] of service.ports.entries()) {
            const owner = portOwners.get(p);
            if (owner !== undefined && owner !== name) {
              ctx.addIssue({
                code: 'custom',
                message: `Port ${p} is also exposed by service '${owner}'; the services of a task share one network`,
                path: ['services', name, 'ports', index],
              });
            }
            portOwners.set(p, owner ?? name);
          }
        }
        const owners = new Map<string, string>();
        for (const endpoint of serviceEndpoints(manifest)) {
          const owner = owners.get(endpoint.key);
          if (owner !== undefined && owner !== endpoint.service) {
            ctx.addIssue({
              code: 'custom',
              message: `Endpoint key '${endpoint.key}' is also used by service '${owner}'`,
              path: ['services', endpoint.service],
            });
          }
          owners.set(endpoint.key, endpoint.service);
        }
        const reserved = new Set([
          ENVIRONMENT_ID_VARIABLE,
          ...[...owners.keys()].flatMap((key) =>
            SERVICE_VARIABLE_SUFFIXES.map((suffix) => `${key}_${suffix}`),
          ),
        ]);
        for (const name of Object.keys(manifest.inputs)) {
          if (reserved.has(name)) {
            ctx.addIssue({
              code: 'custom',
              message: `'${name}' is a variable taskenv provides to the instruction; rename the input`,
              path: ['inputs', name],
            });
          }
        }
      }),
    );
};

/**
 * The task manifest. Objects are strict (an unknown key is a 422 at that key) and defaults are
 * filled in, so the parsed value is what gets stored and registered. Built on its first call.
 */
export const taskManifestSchema = /* @__PURE__ */ z.onFirstUse(buildTaskManifestSchema);

/** A parsed, defaulted task manifest. */
export type TaskManifest = z.output<ReturnType<typeof buildTaskManifestSchema>>;

/** A manifest as an author writes it (defaults not yet applied). */
export type TaskManifestInput = z.input<ReturnType<typeof buildTaskManifestSchema>>;

/**
 * Parses a published manifest (the request body of `POST /tasks`). First its JSON must be
 * storable ({@link jsonShapeProblems}: no reserved or empty keys, numbers within ±2^53, at most
 * {@link MAX_MANIFEST_DEPTH} levels). Beyond the schema, the
 * instruction template must parse and may only use declared inputs, service variables and
 * `environment_id`; an unknown variable is a 422 naming it at `["body", "instruction"]`. Last,
 * the instruction is rendered once with sample values and refused when that exceeds the
 * render budget ({@link trialRenderProblems}).
 *
 * A service with `build` is refused (422 at its `build` key, naming `taskenv task push`): the
 * CLI builds it and publishes the image reference instead.
 *
 * @throws ValidationError (422) with every problem located under `body`.
 */
export const parseManifest = (json: unknown): TaskManifest => {
  // Before the schema: its records would silently drop a `__proto__` key.
  const shape = jsonShapeProblems(json, ['body'], MAX_MANIFEST_DEPTH);
  if (shape.length > 0) throw new ValidationError(shape);
  const builds = servicesWithBuild(json);
  if (builds.length > 0) {
    throw new ValidationError(
      builds.map(
        (service): FieldError => ({
          loc: ['body', 'services', service, 'build'],
          msg: BUILD_NOT_PUBLISHABLE,
          type: 'build_not_publishable',
        }),
      ),
    );
  }
  const manifest = parseOrThrow(taskManifestSchema(), json, 'body');
  const unknown = unknownTemplateVariables(manifest);
  if (unknown.length > 0) {
    throw new ValidationError(
      unknown.map(
        (name): FieldError => ({
          loc: ['body', 'instruction'],
          msg: `Unknown variable '${name}': declare it as an input or use a service variable or ${ENVIRONMENT_ID_VARIABLE}`,
          type: 'unknown_variable',
        }),
      ),
    );
  }
  const budget = trialRenderProblems(manifest);
  if (budget.length > 0) throw new ValidationError(budget);
  return manifest;
};

// The endpoint keys are the stems of the instruction's variables, so they are computed next to
// the template code; re-exported here because they are a fact about the manifest.
export { serviceEndpoints } from './instruction.ts';

/** Every variable name a manifest sets in any service, on ECS (`env`) or locally (`local.env`). */
export const manifestEnvNames = (manifest: Pick<TaskManifest, 'services'>): Set<string> =>
  new Set(
    Object.values(manifest.services).flatMap((service) => [
      ...Object.keys(service.env ?? {}),
      ...Object.keys(service.local?.env ?? {}),
    ]),
  );
