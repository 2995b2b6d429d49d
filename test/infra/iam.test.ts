import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functionNames } from '#shared/routes';
import { configSchema } from '#shared/wiring/functions';
import * as z from '#shared/zod';
import { type Synthesized, synthesize } from './synth.ts';
import {
  asArray,
  type CfnResource,
  grantsOf,
  labelOf,
  logicalIdAt,
  resourcesOf,
  roleOfFunction,
  statementsOfRole,
  variablesOf,
} from './template.ts';

const logs = ['logs:CreateLogStream on own-log-group', 'logs:PutLogEvents on own-log-group'];
const tableReadWrite = [
  'dynamodb:GetItem on table',
  'dynamodb:PutItem on table',
  'dynamodb:UpdateItem on table',
  'dynamodb:Query on table',
  'dynamodb:Query on table/index/*',
];
const expirySchedules = [
  'scheduler:CreateSchedule on expiry-schedules',
  'scheduler:UpdateSchedule on expiry-schedules',
  'scheduler:DeleteSchedule on expiry-schedules',
  'iam:PassRole on expiry-role',
];
const passTaskRoles = ['iam:PassRole on execution-role', 'iam:PassRole on task-role'];
const runTask = [
  'ecs:RunTask on taskenv-task-definitions',
  'ecs:TagResource on cluster-tasks',
  ...passTaskRoles,
];

/** Every action each function may take, on what: exactly what its entry's adapters call. */
const EXPECTED: Readonly<Record<FunctionName, readonly string[]>> = {
  authorizer: [...logs, 'dynamodb:GetItem on table'],
  'environments-create': [
    ...logs,
    ...tableReadWrite,
    'dynamodb:GetItem on idempotency-table',
    'dynamodb:PutItem on idempotency-table',
    'dynamodb:UpdateItem on idempotency-table',
    'dynamodb:DeleteItem on idempotency-table',
    ...runTask,
    's3:PutObject on env-files',
    's3:DeleteObject on env-files',
    'kms:GenerateDataKey on env-file-key',
    ...expirySchedules,
    'secretsmanager:GetSecretValue on workspace-secrets',
    'kms:GenerateMac on execute-token-key',
    'events:PutEvents on bus',
    'sqs:SendMessage on lifecycle-queue',
  ],
  'environments-read': [
    ...logs,
    'dynamodb:GetItem on table',
    'dynamodb:BatchGetItem on table',
    'dynamodb:Query on table',
    'dynamodb:Query on table/index/*',
  ],
  'environments-manage': [
    ...logs,
    ...tableReadWrite,
    'ecs:StopTask on cluster-tasks',
    's3:DeleteObject on env-files',
    ...expirySchedules,
    'events:PutEvents on bus',
  ],
  'environments-exec': [
    ...logs,
    ...tableReadWrite,
    'lambda:InvokeFunction on exec-worker-function',
    'logs:GetLogEvents on task-log-streams',
    'kms:VerifyMac on execute-token-key',
    'events:PutEvents on bus',
  ],
  'exec-worker': [
    ...logs,
    ...tableReadWrite,
    'ecs:ExecuteCommand on cluster',
    'ecs:ExecuteCommand on cluster-tasks',
  ],
  tasks: [
    ...logs,
    ...tableReadWrite,
    'ecs:RegisterTaskDefinition on *',
    'ecs:TagResource on taskenv-task-definitions',
    ...passTaskRoles,
  ],
  secrets: [
    ...logs,
    ...tableReadWrite,
    'dynamodb:DeleteItem on table',
    'secretsmanager:CreateSecret on workspace-secrets',
    'secretsmanager:PutSecretValue on workspace-secrets',
    'secretsmanager:RestoreSecret on workspace-secrets',
    'secretsmanager:DeleteSecret on workspace-secrets',
    'secretsmanager:TagResource on workspace-secrets',
  ],
  admin: [
    ...logs,
    ...tableReadWrite,
    'dynamodb:DeleteItem on table',
    'ecs:StopTask on cluster-tasks',
    'events:PutEvents on bus',
  ],
  meta: [...logs, 'dynamodb:GetItem on table'],
  'task-events': [
    ...logs,
    ...tableReadWrite,
    'ec2:DescribeNetworkInterfaces on *',
    's3:DeleteObject on env-files',
    'events:PutEvents on bus',
    'sqs:SendMessage on dead-letter-queue',
    'sqs:SendMessage on lifecycle-queue',
  ],
  reconciler: [
    ...logs,
    ...tableReadWrite,
    ...runTask,
    'ecs:StopTask on cluster-tasks',
    'ecs:DescribeTasks on cluster-tasks',
    'ecs:ListTasks on *',
    'ec2:DescribeNetworkInterfaces on *',
    's3:DeleteObject on env-files',
    ...expirySchedules,
    'events:PutEvents on bus',
    'sqs:SendMessage on lifecycle-queue',
  ],
  'lifecycle-checks': [
    ...logs,
    ...tableReadWrite,
    ...runTask,
    'ecs:StopTask on cluster-tasks',
    'ecs:DescribeTasks on cluster-tasks',
    'ec2:DescribeNetworkInterfaces on *',
    's3:DeleteObject on env-files',
    ...expirySchedules,
    'events:PutEvents on bus',
    'sqs:SendMessage on lifecycle-queue',
    'sqs:ReceiveMessage on lifecycle-queue',
    'sqs:DeleteMessage on lifecycle-queue',
    'sqs:GetQueueAttributes on lifecycle-queue',
  ],
  // Pool tasks: RunTask without an env file (no S3, no KMS), StopTask of what a pool no longer needs.
  'pool-keeper': [...logs, ...tableReadWrite, ...runTask, 'ecs:StopTask on cluster-tasks'],
  // The stream (through its mapping), the counters and markers (held to their keys), its failure queue.
  'list-counters': [
    ...logs,
    'dynamodb:PutItem on table',
    'dynamodb:UpdateItem on table',
    'dynamodb:DescribeStream on table-stream',
    'dynamodb:GetRecords on table-stream',
    'dynamodb:GetShardIterator on table-stream',
    'dynamodb:ListStreams on table/stream/*',
    'sqs:SendMessage on list-counters-dead-letter-queue',
  ],
};

/** Actions IAM only grants on "*": no resource-level permission exists for them. */
const WILDCARD_ONLY = new Set([
  'ecs:RegisterTaskDefinition',
  'ec2:DescribeNetworkInterfaces',
  'ecs:ListTasks',
]);

const functionId = (template: Template, name: FunctionName) =>
  logicalIdAt(template, `TaskenvService/${name}/Function/Resource`);

const grantsOfFunction = (template: Template, name: FunctionName) => {
  const roleId = roleOfFunction(template, functionId(template, name));
  const ownLogGroup = logicalIdAt(template, `TaskenvService/${name}/LogGroup/Resource`);
  return grantsOf(statementsOfRole(template, roleId), ownLogGroup);
};

const statementsOfFunction = (template: Template, name: FunctionName) =>
  statementsOfRole(template, roleOfFunction(template, functionId(template, name)));

describe('function IAM (default config: public URL mode)', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize();
  });

  it.each(functionNames)('%s gets exactly the actions its adapters call, on our resources', (name) => {
    // Act
    const grants = grantsOfFunction(app.serviceTemplate, name);

    // Assess
    expect(grants).toEqual([...new Set(EXPECTED[name])].sort());
  });

  it('grants "*" only for actions without resource-level permissions', () => {
    for (const name of functionNames) {
      for (const statement of statementsOfFunction(app.serviceTemplate, name)) {
        if (!asArray(statement.Resource).includes('*')) continue;
        expect(asArray(statement.Action).filter((action) => !WILDCARD_ONLY.has(action))).toEqual([]);
      }
    }
  });

  it('holds every ECS task action to our cluster and every PassRole to its service', () => {
    const clusterId = logicalIdAt(app.serviceTemplate, 'TaskenvService/SandboxCluster/Cluster/Resource');
    for (const name of functionNames) {
      for (const statement of statementsOfFunction(app.serviceTemplate, name)) {
        const actions = asArray(statement.Action);
        if (
          actions.some((a) =>
            [
              'ecs:RunTask',
              'ecs:StopTask',
              'ecs:DescribeTasks',
              'ecs:ListTasks',
              'ecs:ExecuteCommand',
            ].includes(a),
          )
        ) {
          expect(statement.Condition).toEqual({
            ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [clusterId, 'Arn'] } },
          });
        }
        if (actions.includes('ecs:TagResource')) {
          expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual(['ecs:CreateAction']);
        }
        if (actions.includes('iam:PassRole')) {
          const labels = asArray(statement.Resource).map((r) => labelOf(r));
          const service = statement.Condition?.StringEquals?.['iam:PassedToService'];
          expect(service).toBe(
            labels.includes('expiry-role') ? 'scheduler.amazonaws.com' : 'ecs-tasks.amazonaws.com',
          );
        }
      }
    }
  });

  it('keeps KMS data-key requests on the S3 path', () => {
    const kms = statementsOfFunction(app.serviceTemplate, 'environments-create').filter((s) =>
      asArray(s.Action).includes('kms:GenerateDataKey'),
    );
    expect(kms).toHaveLength(1);
    expect(Object.keys(kms[0]?.Condition?.StringEquals ?? {})).toEqual(['kms:ViaService']);
  });

  it('lets the sandbox execution role pull images, write the task log group and read env files only', () => {
    const roleId = logicalIdAt(app.serviceTemplate, 'TaskenvService/SandboxCluster/ExecutionRole/Resource');
    expect(grantsOf(statementsOfRole(app.serviceTemplate, roleId))).toEqual(
      [
        'ecr:GetAuthorizationToken on *',
        'ecr:BatchCheckLayerAvailability on image-repository',
        'ecr:GetDownloadUrlForLayer on image-repository',
        'ecr:BatchGetImage on image-repository',
        'logs:CreateLogStream on task-log-group',
        'logs:PutLogEvents on task-log-group',
        's3:GetObject on env-files',
        's3:GetBucketLocation on env-file-bucket',
        'kms:Decrypt on env-file-key',
      ].sort(),
    );
  });

  it('gives the sandbox task role only the four ssmmessages channel actions (ECS Exec), and no managed policies anywhere but API Gateway logging', () => {
    const taskRoleId = logicalIdAt(app.serviceTemplate, 'TaskenvService/SandboxCluster/TaskRole/Resource');
    expect(grantsOf(statementsOfRole(app.serviceTemplate, taskRoleId))).toEqual(
      [
        'ssmmessages:CreateControlChannel on *',
        'ssmmessages:CreateDataChannel on *',
        'ssmmessages:OpenControlChannel on *',
        'ssmmessages:OpenDataChannel on *',
      ].sort(),
    );
    const managed = resourcesOf(app.serviceTemplate, 'AWS::IAM::Role').flatMap(([, role]) =>
      asArray(role.Properties?.ManagedPolicyArns as unknown[]).map((arn) => labelOfManaged(arn)),
    );
    expect(managed).toEqual(['AmazonAPIGatewayPushToCloudWatchLogs']);
  });

  it('lets only ECS tasks of this account and region assume the sandbox roles', () => {
    for (const path of ['ExecutionRole', 'TaskRole']) {
      const role = app.serviceTemplate.toJSON().Resources[
        logicalIdAt(app.serviceTemplate, `TaskenvService/SandboxCluster/${path}/Resource`)
      ] as CfnResource;
      const trustPolicy = role.Properties?.AssumeRolePolicyDocument as
        | { Statement: Record<string, unknown>[] }
        | undefined;
      const [trust] = trustPolicy?.Statement ?? [];
      expect(trust?.Principal).toEqual({ Service: 'ecs-tasks.amazonaws.com' });
      expect(Object.keys(trust?.Condition ?? {}).sort()).toEqual(['ArnLike', 'StringEquals']);
    }
  });
});

describe('function IAM (private URL mode)', () => {
  it.each(['task-events', 'reconciler'] as const)(
    'gives %s no EC2 permission: the private IP is in the event and in DescribeTasks',
    (name) => {
      // Arrange
      const app = synthesize({ urlMode: 'private', allowedCidrs: '10.0.0.0/8' });

      // Act
      const grants = grantsOfFunction(app.serviceTemplate, name);

      // Assess
      expect(grants.filter((g) => g.startsWith('ec2:'))).toEqual([]);
      expect(grants).toContain('events:PutEvents on bus');
    },
  );
});

describe('function configuration', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize({ minClientVersion: '1.4.0' });
  });

  /** The variables an entry reads: the config schema of its declaration, which the entry parses. */
  const variablesOfEntry = (name: FunctionName): { required: Set<string>; optional: Set<string> } => {
    const source = readFileSync(new URL(`../../functions/${name}.ts`, import.meta.url), 'utf8');
    // The entry parses its declaration's schema and reads nothing else from the environment.
    expect(source).toContain(`configSchema('${name}')`);
    expect(source).not.toMatch(/process\.env/);
    const required = new Set<string>();
    const optional = new Set<string>();
    for (const [key, schema] of Object.entries(configSchema(name).def.shape)) {
      (z.safeParse(schema, undefined).success ? optional : required).add(key);
    }
    // Lambda sets AWS_REGION itself.
    required.delete('AWS_REGION');
    return { required, optional };
  };

  it.each(functionNames)(
    '%s gets every variable its entry requires, and nothing it does not read',
    (name) => {
      // Arrange
      const fn = app.serviceTemplate.toJSON().Resources[functionId(app.serviceTemplate, name)] as CfnResource;
      const variables = Object.keys(variablesOf(fn));
      const { required, optional } = variablesOfEntry(name);

      // Assess
      expect(required.size).toBeGreaterThan(name === 'meta' ? -1 : 0);
      for (const key of required) expect(variables).toContain(key);
      const unread = variables.filter(
        (key) => !required.has(key) && !optional.has(key) && key !== 'NODE_OPTIONS',
      );
      expect(unread).toEqual([]);
    },
  );

  it('runs every function on the latest Node.js runtime, arm64, with its own log group', () => {
    for (const name of functionNames) {
      const fn = app.serviceTemplate.toJSON().Resources[functionId(app.serviceTemplate, name)] as CfnResource;
      expect(fn.Properties?.Runtime).toBe('nodejs24.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      expect(fn.Properties?.LoggingConfig).toEqual({
        LogGroup: { Ref: logicalIdAt(app.serviceTemplate, `TaskenvService/${name}/LogGroup/Resource`) },
      });
    }
  });
});

const labelOfManaged = (arn: unknown): string => {
  const flat = JSON.stringify(arn);
  const match = /policy\/(?:service-role\/)?([\w-]+)/.exec(flat);
  return match?.[1] ?? flat;
};
