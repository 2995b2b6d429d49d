/**
 * Reading synthesized templates: resources by type and construct path, the IAM statements of
 * a role, and resources turned into short labels (`table`, `cluster-tasks`, `*`) so a test can
 * state a function's whole policy as a list of `action on label` lines.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { flattenReference } from '#infra/constructs/nag';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export const resourcesOf = (template: Template, type?: string): [string, CfnResource][] =>
  Object.entries(template.toJSON().Resources as Record<string, CfnResource>).filter(
    ([, resource]) => type === undefined || resource.Type === type,
  );

/** The logical id of the resource whose construct path is `path` (`TaskenvService/tasks/Function/Resource`). */
export const logicalIdAt = (template: Template, path: string): string => {
  const found = resourcesOf(template).find(([, resource]) => resource.Metadata?.['aws:cdk:path'] === path);
  if (found === undefined) throw new Error(`No resource at ${path}`);
  return found[0];
};

export const resourceAt = (template: Template, path: string): CfnResource => {
  const resource = template.toJSON().Resources[logicalIdAt(template, path)] as CfnResource | undefined;
  if (resource === undefined) throw new Error(`No resource at ${path}`);
  return resource;
};

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const isRefTo = (value: unknown, logicalId: string): boolean =>
  typeof value === 'object' && value !== null && (value as { Ref?: unknown }).Ref === logicalId;

/** Every statement of a role: its inline policies and every AWS::IAM::Policy attached to it. */
export const statementsOfRole = (template: Template, roleId: string): Statement[] => {
  const role = template.toJSON().Resources[roleId] as CfnResource;
  const inline = asArray(
    role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[],
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => asArray(policy.Properties?.Roles as unknown[]).some((r) => isRefTo(r, roleId)))
    .flatMap(
      ([, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
  return [...inline, ...attached];
};

/** A function's environment variables (empty when it has none). */
export const variablesOf = (fn: CfnResource): Record<string, unknown> =>
  (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

/** The role logical id of a function (`Role: {Fn::GetAtt: [roleId, Arn]}`). */
export const roleOfFunction = (template: Template, functionId: string): string => {
  const fn = template.toJSON().Resources[functionId] as CfnResource;
  const role = fn.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
};

/** Short names for the resources policies point at, matched on the flattened template value. */
const LABELS: readonly [RegExp, string][] = [
  [/^\*$/, '*'],
  [/StorageTable\w*>?\S*\/index\/\*$/, 'table/index/*'],
  [/StorageTable\w*>?\S*\/stream\/\*$/, 'table/stream/*'],
  [/StorageTable\w*StreamArn/, 'table-stream'],
  [/StorageTable/, 'table'],
  [/StorageIdempotencyTable/, 'idempotency-table'],
  [/StorageEnvFileBucket\w*.*\/env\/\*$/, 'env-files'],
  [/StorageEnvFileBucket/, 'env-file-bucket'],
  [/StorageEnvFileKey/, 'env-file-key'],
  [/StorageExecuteTokenKey/, 'execute-token-key'],
  [/:task\/<SandboxCluster\w+>\/\*$/, 'cluster-tasks'],
  [/^<SandboxCluster[0-9A-F]+\.Arn>$/, 'cluster'],
  [/:log-group:<SandboxClusterTaskLogGroup\w+>:log-stream:\*$/, 'task-log-streams'],
  [/^<execworkerFunction\w+\.Arn>$/, 'exec-worker-function'],
  [/:task-definition\/taskenv-\*:\*$/, 'taskenv-task-definitions'],
  [/ImagesRepository/, 'image-repository'],
  [/SandboxClusterExecutionRole/, 'execution-role'],
  [/SandboxClusterTaskRole/, 'task-role'],
  [/SandboxClusterTaskLogGroup/, 'task-log-group'],
  [/LifecycleExpiryRole/, 'expiry-role'],
  [/:schedule\/[\w-]+\/taskenv-\*$/, 'expiry-schedules'],
  [/:secret:taskenv\/\*$/, 'workspace-secrets'],
  [/LifecycleBus/, 'bus'],
  [/LifecycleTaskEventsDeadLetterQueue/, 'dead-letter-queue'],
  [/LifecycleChecksQueue/, 'lifecycle-queue'],
  [/ListCountersDeadLetterQueue/, 'list-counters-dead-letter-queue'],
  [/^<reconcilerFunction\w+\.Arn>(:\*)?$/, 'reconciler-function'],
];

/** `ownLogGroup` (the function's own log group id) is labelled `own-log-group`. */
export const labelOf = (resource: unknown, ownLogGroup?: string): string => {
  const flat = flattenReference(resource);
  if (ownLogGroup !== undefined && flat === `<${ownLogGroup}.Arn>`) return 'own-log-group';
  const label = LABELS.find(([pattern]) => pattern.test(flat));
  if (label === undefined) throw new Error(`No label for policy resource ${flat}`);
  return label[1];
};

/** `action on label` for every action × resource of the statements, sorted and unique. */
export const grantsOf = (statements: readonly Statement[], ownLogGroup?: string): string[] =>
  [
    ...new Set(
      statements.flatMap((statement) => {
        if (statement.Effect !== 'Allow') throw new Error('Only Allow statements are expected');
        return asArray(statement.Action).flatMap((action) =>
          asArray(statement.Resource).map((resource) => `${action} on ${labelOf(resource, ownLogGroup)}`),
        );
      }),
    ),
  ].sort();
