/**
 * One service of a task manifest (`docs/design.md`, "Task manifest"): its image or build, ports,
 * command and environment, readiness probe, and how it runs locally.
 */
import * as z from '#shared/zod';

/**
 * Ports one service may expose. Each becomes an ECS port mapping and a `service_urls` entry;
 * the ECS quota tables name no per-container limit, so this one is taskenv's, kept small.
 */
const MAX_PORTS_PER_SERVICE = 16;

/** Environment variable names with this prefix are set by taskenv itself (`TASKENV_EXECUTE_TOKEN`). */
const RESERVED_ENV_PREFIX = 'TASKENV_';

/**
 * A record whose keys must satisfy `key`; the key's own message becomes the issue's message
 * (zod's default, "Invalid key in record", would not tell the author what is wrong).
 */
export const keyedRecord = <V extends z.core.$ZodType>(key: z.ZodMiniType<string, string>, value: V) =>
  z.record(key, value, {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  });

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

// Built on first use, like the task manifest holding it (manifest.ts).
const buildServiceSchema = () => {
  const port = z.int().check(z.gte(1), z.lte(65535));

  const envName = z.string().check(
    z.regex(/^[A-Z_][A-Z0-9_]*$/, 'Must match [A-Z_][A-Z0-9_]*'),
    z.refine((name) => !name.startsWith(RESERVED_ENV_PREFIX), {
      message: `Names starting with ${RESERVED_ENV_PREFIX} are reserved for taskenv`,
    }),
  );

  const envSchema = keyedRecord(envName, z.string());

  const commandSchema = z.array(z.string()).check(z.minLength(1));

  /** ECS accepts a container health check `startPeriod` of 0 to 300 s. */
  const MAX_HEALTH_GRACE_SEC = 300;
  const DEFAULT_HEALTH_GRACE_SEC = 60;

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

  return z
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
};

/** One service of a task: one container of its ECS task definition. Built on its first call. */
export const serviceSchema = /* @__PURE__ */ z.onFirstUse(buildServiceSchema);

/**
 * A path inside the task directory: relative, and never climbing out of it, so a task directory
 * builds the same wherever it is checked out.
 */
const buildServiceBuildSchema = () => {
  const taskDirectoryPath = z.string().check(
    z.minLength(1),
    z.refine((path) => !/^([/\\]|[A-Za-z]:)/.test(path) && !path.split(/[/\\]/).includes('..'), {
      message: 'Must be a relative path inside the task directory',
    }),
  );
  return z.strictObject({
    context: taskDirectoryPath,
    dockerfile: z.optional(taskDirectoryPath),
  });
};

/**
 * Instead of `image`: the service's image is built from the task directory by `taskenv task
 * push`, which publishes the manifest with the built image's reference. `context` is relative
 * to the directory holding `task.yaml`, `dockerfile` to the context (default `Dockerfile`).
 * Never part of a published manifest (see {@link parseManifest}). Built on its first call.
 */
export const serviceBuildSchema = /* @__PURE__ */ z.onFirstUse(buildServiceBuildSchema);

export type ServiceBuild = z.output<ReturnType<typeof buildServiceBuildSchema>>;

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

export type ServiceDefinition = z.output<ReturnType<typeof buildServiceSchema>>;
