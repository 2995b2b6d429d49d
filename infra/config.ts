/**
 * Deployment configuration: one zod schema over the CDK context (`cdk.json` `context`, or
 * `-c key=value` on the command line), parsed once when the app starts. A bad value fails the
 * synth with a message naming every offending key, before any construct is built.
 *
 * Values given with `-c` arrive as strings, values in `cdk.json` keep their JSON type: every
 * field accepts both (`-c waf=true` and `"waf": true`, `-c allowedCidrs=a,b` and `["a","b"]`).
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';

/** Where clients reach a sandbox's services (`docs/design.md`, URL mode). */
export type UrlMode = 'public' | 'private';

/** An inclusive TCP port range the task security group opens to `allowedCidrs`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The deployment configuration every construct reads its settings from. */
export interface TaskenvConfig {
  /** `public`: tasks get a public IP in a public subnet. `private`: clients use the ENI's private IP. */
  readonly urlMode: UrlMode;
  /** An existing VPC to run the tasks in (looked up; needs `env` with account and region). */
  readonly vpcId: string | undefined;
  /**
   * CIDRs (IPv4 or IPv6) allowed to reach the task ports. Empty means nobody from outside: in
   * public mode nothing can reach the sandboxes until this is set (a synth warning says so); in
   * private mode the VPC's own CIDR is used.
   */
  readonly allowedCidrs: readonly string[];
  /** TCP ports of the tasks opened to `allowedCidrs`. */
  readonly taskPorts: readonly PortRange[];
  /** An AWS WAF web ACL with a per-IP rate-based rule in front of the API. */
  readonly waf: boolean;
  /** Requests per source IP per 5 minutes before WAF blocks (only with `waf`). */
  readonly wafRateLimit: number;
  /** What `cdk destroy` does with the table, the env-file bucket, the key and the log groups. */
  readonly removalPolicy: 'retain' | 'destroy';
  /** Clients sending `X-Taskenv-Client-Version` below this get a 426. */
  readonly minClientVersion: string | undefined;
  /** X-Ray tracing of the API stage and every function. */
  readonly tracing: boolean;
  /** Retention of every log group the app creates, in days (a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
  /** Stage-wide steady-state request rate (requests per second). */
  readonly throttleRateLimit: number;
  /** Stage-wide burst (requests). */
  readonly throttleBurstLimit: number;
  /** How long API Gateway caches an API key's authorizer result; a revoked key works this long. */
  readonly authorizerCacheTtlSeconds: number;
  /**
   * Create the account-wide role API Gateway writes logs with (`AWS::ApiGateway::Account`).
   * Access and execution logs need it once per account and region; turn it off where the
   * account already has one.
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /** Secrets Manager name prefix of the workspace secrets (`<prefix>/<org>/<workspace>/<id>`). */
  readonly secretsPrefix: string;
  /** An SNS topic every alarm notifies (alarm and OK). */
  readonly alarmTopicArn: string | undefined;
}

/** The retention periods CloudWatch Logs accepts, but "never expire": every log group here expires. */
const LOG_RETENTIONS = Object.values(logs.RetentionDays).filter(
  (value): value is logs.RetentionDays => typeof value === 'number' && value !== logs.RetentionDays.INFINITE,
);

/** The `RetentionDays` of a validated `logRetentionDays`. */
export const logRetentionOf = (config: Pick<TaskenvConfig, 'logRetentionDays'>): logs.RetentionDays => {
  const retention = LOG_RETENTIONS.find((value) => value === config.logRetentionDays);
  if (retention === undefined)
    throw new ConfigError([`logRetentionDays: ${config.logRetentionDays} is not a retention`]);
  return retention;
};

const fromString = <T extends z.ZodType>(schema: T, parse: (text: string) => unknown) =>
  z.preprocess((value) => (typeof value === 'string' ? parse(value.trim()) : value), schema);

const flag = (fallback: boolean) =>
  fromString(z.boolean(), (text) => (text === 'true' ? true : text === 'false' ? false : text)).default(
    fallback,
  );

const integer = (fallback: number, min: number, max: number) =>
  fromString(z.number().int().min(min).max(max), (text) =>
    /^\d+$/.test(text) ? Number(text) : text,
  ).default(fallback);

const list = <T extends z.ZodType>(item: T) =>
  fromString(z.array(item), (text) =>
    text === ''
      ? []
      : text
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
  );

const optionalText = (schema: z.ZodString) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

const portRange = z
  .string()
  .regex(/^\d{1,5}(-\d{1,5})?$/, 'Expected a port (80) or a range (8000-8999)')
  .transform((text, context): PortRange => {
    const [from = 0, to = from] = text.split('-').map(Number);
    if (from < 1 || to > 65535 || from > to) {
      context.addIssue({ code: 'custom', message: `Port range ${text} must be within 1-65535, low to high` });
    }
    return { from, to };
  });

const schema = z.strictObject({
  urlMode: z.enum(['public', 'private']).default('public'),
  vpcId: optionalText(z.string().regex(/^vpc-[0-9a-f]+$/, 'Expected a VPC id (vpc-…)')),
  allowedCidrs: list(
    z
      .string()
      .refine((cidr) => IPV4_CIDR.test(cidr) || IPV6_CIDR.test(cidr), 'Expected a CIDR (203.0.113.7/32)'),
  ).default([]),
  taskPorts: list(portRange).default([{ from: 1, to: 65535 }]),
  waf: flag(false),
  wafRateLimit: integer(2000, 10, 2_000_000_000),
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  minClientVersion: optionalText(z.string().regex(/^\d+(\.\d+)*$/, 'Expected a version like 1.4.0')),
  tracing: flag(false),
  logRetentionDays: integer(30, 1, 3653).refine(
    (days) => LOG_RETENTIONS.some((value) => value === days),
    `Expected one of ${LOG_RETENTIONS.join(', ')}`,
  ),
  throttleRateLimit: integer(100, 1, 10_000),
  throttleBurstLimit: integer(200, 1, 5_000),
  authorizerCacheTtlSeconds: integer(300, 0, 3600),
  apiGatewayCloudWatchRole: flag(true),
  secretsPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/, 'Expected a Secrets Manager name prefix')
    .default('taskenv'),
  alarmTopicArn: optionalText(z.string().regex(/^arn:aws[\w-]*:sns:/, 'Expected an SNS topic ARN')),
});

/** The context keys the app reads (documented in `docs/deploy.md`). */
export const configKeys = Object.keys(schema.shape) as readonly (keyof typeof schema.shape)[];

/** A context value the app cannot use; the synth stops before building anything. */
export class ConfigError extends Error {
  constructor(issues: readonly string[]) {
    super(`Invalid taskenv configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from context values (`key → value`); keys the app does not know are
 * ignored here because the context also carries CDK's own flags.
 *
 * @throws ConfigError naming every invalid key.
 */
export const parseConfig = (context: Readonly<Record<string, unknown>>): TaskenvConfig => {
  const known = Object.fromEntries(
    configKeys.filter((key) => context[key] !== undefined).map((key) => [key, context[key]]),
  );
  const result = schema.safeParse(known);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const { vpcId, minClientVersion, alarmTopicArn, ...config } = result.data;
  if (config.throttleBurstLimit < config.throttleRateLimit) {
    throw new ConfigError([
      `throttleBurstLimit (${config.throttleBurstLimit}) must be at least throttleRateLimit (${config.throttleRateLimit})`,
    ]);
  }
  return { ...config, vpcId, minClientVersion, alarmTopicArn };
};

/** Reads every config key from a construct's context (`node.tryGetContext`). */
export const configFromContext = (tryGetContext: (key: string) => unknown): TaskenvConfig =>
  parseConfig(Object.fromEntries(configKeys.map((key) => [key, tryGetContext(key)])));
