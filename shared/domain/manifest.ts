/**
 * The task manifest (`task.yaml`, published as JSON; `DESIGN.md`, "Task manifest"): the one
 * schema a task version must satisfy before it is registered, plus the derived facts other
 * modules need (the exposed endpoints, the redacted verification config).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import * as z from '#shared/zod';
import { type FieldError, ValidationError } from './errors.ts';
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
import { parseOrThrow } from './validation.ts';

/** ECS allows at most 10 containers in one task definition; each service is a container. */
export const MAX_SERVICES = 10;

/**
 * Ports one service may expose. Each becomes an ECS port mapping and a `service_urls` entry;
 * the ECS quota tables name no per-container limit, so this one is taskenv's, kept small.
 */
export const MAX_PORTS_PER_SERVICE = 16;

/**
 * How deep a manifest may nest: it is stored as one attribute of the task version's item, one
 * level below DynamoDB's limit of {@link DYNAMODB_MAX_DEPTH}.
 */
export const MAX_MANIFEST_DEPTH = DYNAMODB_MAX_DEPTH - 1;

/** Environment variable names with this prefix are set by taskenv itself (`TASKENV_EXECUTE_TOKEN`). */
export const RESERVED_ENV_PREFIX = 'TASKENV_';

const range = (from: number, to: number, step: number): number[] =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

/** Valid Fargate task sizes: CPU units → allowed memory (MiB). */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

/** Whether `{cpu, memory}` is a task size Fargate accepts. */
export const isFargateSize = (cpu: number, memory: number): boolean =>
  FARGATE_SIZES.get(cpu)?.includes(memory) ?? false;

/**
 * A record whose keys must satisfy `key`; the key's own message becomes the issue's message
 * (zod's default, "Invalid key in record", would not tell the author what is wrong).
 */
const keyedRecord = <V extends z.core.$ZodType>(key: z.ZodMiniType<string, string>, value: V) =>
  z.record(key, value, {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  });

const port = z.int().check(z.gte(1), z.lte(65535));

const envName = z.string().check(
  z.regex(/^[A-Z_][A-Z0-9_]*$/, 'Must match [A-Z_][A-Z0-9_]*'),
  z.refine((name) => !name.startsWith(RESERVED_ENV_PREFIX), {
    message: `Names starting with ${RESERVED_ENV_PREFIX} are reserved for taskenv`,
  }),
);

const envSchema = keyedRecord(envName, z.string());

const commandSchema = z.array(z.string()).check(z.minLength(1));

const inputValueSchema = z.union([z.string(), z.number(), z.boolean()]);

const NUMERIC_TYPES: ReadonlySet<string> = new Set(['integer', 'number']);

/** One declared input. A default or enum value must itself satisfy the declaration. */
export const inputDeclarationSchema = z
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

/** ECS accepts a container health check `startPeriod` of 0 to 300 s. */
export const MAX_HEALTH_GRACE_SEC = 300;
export const DEFAULT_HEALTH_GRACE_SEC = 60;

/**
 * A readiness probe: an HTTP GET of `path` on `port` that must answer 2xx, or a `command` that
 * must exit 0. On ECS either runs inside the container (its `healthCheck`), so an HTTP probe
 * needs `wget` or `curl` in the image; an image without either declares a `command` instead.
 * `grace_sec` is how long the service may take to become healthy after it started.
 */
const healthSchema = z
  .strictObject({
    path: z.optional(z.string().check(z.startsWith('/', 'Must start with /'))),
    port: z.optional(port),
    command: z.optional(commandSchema),
    grace_sec: z._default(z.int().check(z.gte(0), z.lte(MAX_HEALTH_GRACE_SEC)), DEFAULT_HEALTH_GRACE_SEC),
  })
  .check(
    z.superRefine((health, ctx) => {
      const http = health.path !== undefined || health.port !== undefined;
      if (http && health.command !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'Give either path and port (an HTTP probe) or command, not both',
          path: ['command'],
        });
      } else if (!http && health.command === undefined) {
        ctx.addIssue({ code: 'custom', message: 'Give path and port, or command', path: [] });
      } else if (http && (health.path === undefined || health.port === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'An HTTP probe needs both path and port',
          path: [health.path === undefined ? 'path' : 'port'],
        });
      }
    }),
  );

/** A service's readiness probe, one of its two kinds; null when it declares none. */
export type HealthProbe =
  | { readonly kind: 'http'; readonly path: string; readonly port: number; readonly graceSec: number }
  | { readonly kind: 'command'; readonly command: readonly string[]; readonly graceSec: number };

export const healthProbe = (service: Pick<ServiceDefinition, 'health'>): HealthProbe | null => {
  const { health } = service;
  if (health === undefined) return null;
  if (health.command !== undefined) {
    return { kind: 'command', command: health.command, graceSec: health.grace_sec };
  }
  if (health.path === undefined || health.port === undefined) return null;
  return { kind: 'http', path: health.path, port: health.port, graceSec: health.grace_sec };
};

/** Fargate CPU architectures, by the manifest's `platform`. */
export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** One service of a task: one container of its ECS task definition. */
export const serviceSchema = z
  .strictObject({
    image: z.string().check(z.minLength(1)),
    ports: z._default(z.array(port).check(z.maxLength(MAX_PORTS_PER_SERVICE)), []),
    command: z.optional(commandSchema),
    env: z.optional(envSchema),
    health: z.optional(healthSchema),
    local: z.optional(z.strictObject({ command: commandSchema, env: z.optional(envSchema) })),
    essential: z._default(z.boolean(), true),
  })
  .check(
    z.superRefine((service, ctx) => {
      for (const [index, p] of service.ports.entries()) {
        if (service.ports.indexOf(p) !== index) {
          ctx.addIssue({ code: 'custom', message: `Duplicate port ${p}`, path: ['ports', index] });
        }
      }
      // The local runtimes probe readiness from outside the task, so only an exposed port is reachable.
      if (service.health?.port !== undefined && !service.ports.includes(service.health.port)) {
        ctx.addIssue({
          code: 'custom',
          message: 'The health port must be one of the service ports',
          path: ['health', 'port'],
        });
      }
    }),
  );

/**
 * A path inside the task directory: relative, and never climbing out of it, so a task directory
 * builds the same wherever it is checked out.
 */
const taskDirectoryPath = z.string().check(
  z.minLength(1),
  z.refine((path) => !/^([/\\]|[A-Za-z]:)/.test(path) && !path.split(/[/\\]/).includes('..'), {
    message: 'Must be a relative path inside the task directory',
  }),
);

/**
 * Instead of `image`: the service's image is built from the task directory by `taskenv task
 * push`, which publishes the manifest with the built image's reference. `context` is relative
 * to the directory holding `task.yaml`, `dockerfile` to the context (default `Dockerfile`).
 * Never part of a published manifest (see {@link parseManifest}).
 */
export const serviceBuildSchema = z.strictObject({
  context: taskDirectoryPath,
  dockerfile: z.optional(taskDirectoryPath),
});

export type ServiceBuild = z.output<typeof serviceBuildSchema>;

/** Why the API refuses a `build` service: only the CLI has the directory to build from. */
export const BUILD_NOT_PUBLISHABLE =
  'A service with build is published by `taskenv task push <dir>`, which builds its image and publishes the manifest with the image reference; the API takes only image';

/** The names of the services of a raw manifest that carry a `build` key. */
export const servicesWithBuild = (json: unknown): string[] => {
  const services = isRecord(json) ? json.services : undefined;
  if (!isRecord(services)) return [];
  return Object.entries(services)
    .filter(([, service]) => isRecord(service) && Object.hasOwn(service, 'build'))
    .map(([name]) => name);
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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
export const verificationSchema = z.looseObject({ method: z.string().check(z.minLength(1)) });

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The task manifest. Objects are strict (an unknown key is a 422 at that key) and defaults are
 * filled in, so the parsed value is what gets stored and registered.
 */
export const taskManifestSchema = z
  .strictObject({
    name: z.string().check(z.maxLength(64), z.regex(/^[a-z0-9][a-z0-9-]*$/, 'Must match [a-z0-9][a-z0-9-]*')),
    version: semverSchema,
    description: z.optional(z.string().check(z.maxLength(2048))),
    public: z._default(z.boolean(), false),
    instruction: z.string().check(
      z.refine((text) => utf8Bytes(text) <= MAX_INSTRUCTION_BYTES, {
        message: `Must be at most ${MAX_INSTRUCTION_BYTES} bytes`,
      }),
    ),
    inputs: z._default(keyedRecord(inputName, inputDeclarationSchema), {}),
    services: keyedRecord(serviceName, serviceSchema).check(
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
        ...[...owners.keys()].flatMap((key) => SERVICE_VARIABLE_SUFFIXES.map((suffix) => `${key}_${suffix}`)),
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

/** A parsed, defaulted task manifest. */
export type TaskManifest = z.output<typeof taskManifestSchema>;

/** A manifest as an author writes it (defaults not yet applied). */
export type TaskManifestInput = z.input<typeof taskManifestSchema>;

export type InputDeclaration = z.output<typeof inputDeclarationSchema>;

export type ServiceDefinition = z.output<typeof serviceSchema>;

export type Verification = z.output<typeof verificationSchema>;

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
  const manifest = parseOrThrow(taskManifestSchema, json, 'body');
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
export { type ServiceEndpoint, serviceEndpoints } from './instruction.ts';

/** Every variable name a manifest sets in any service, on ECS (`env`) or locally (`local.env`). */
export const manifestEnvNames = (manifest: Pick<TaskManifest, 'services'>): Set<string> =>
  new Set(
    Object.values(manifest.services).flatMap((service) => [
      ...Object.keys(service.env ?? {}),
      ...Object.keys(service.local?.env ?? {}),
    ]),
  );

/** Keys of a verification config that hold the answer; compared case-insensitively. */
const ANSWER_KEYS: ReadonlySet<string> = new Set(['value', 'answer', 'flag', 'expected']);

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const redactObject = (object: object): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(object).map(([key, value]: [string, unknown]) => {
      if (!ANSWER_KEYS.has(key.toLowerCase())) {
        return [key, redact(value)];
      }
      // A non-string answer (a number, a list of accepted flags) would leak just the same;
      // hash its JSON form so a client can still compare against it.
      return [key, sha256(typeof value === 'string' ? value : JSON.stringify(value))];
    }),
  );

const redact = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    return value.map(redact);
  }
  if (typeof value === 'object' && value !== null) {
    return redactObject(value);
  }
  return value;
};

/**
 * The verification config as clients see it (`task_verification`): every answer value
 * (`value`, `answer`, `flag`, `expected`, at any depth) replaced by the SHA-256 hex of its
 * UTF-8 text, so a client can check a candidate answer without being handed it. Other keys,
 * such as `method` and `path`, are kept.
 *
 * @returns null when the task has no verification config.
 */
export const redactVerification = (
  verification: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, unknown> | null => {
  if (verification === null || verification === undefined) {
    return null;
  }
  return redactObject(verification);
};
