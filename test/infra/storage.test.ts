import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { idempotencyTableDefinition, tableDefinition } from '#adapters/aws/dynamodb/table';
import { type Synthesized, synthesize } from './synth.ts';
import { type CfnResource, logicalIdAt, resourceAt, resourcesOf, variablesOf } from './template.ts';

const TLS_ONLY = Match.objectLike({
  Effect: 'Deny',
  Action: 's3:*',
  Principal: { AWS: '*' },
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/** Every log group has a retention, and every function writes to one of them (no implicit group). */
const expectRetentionEverywhere = (template: Template): void => {
  const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');
  for (const [id, group] of logGroups) expect(group.Properties?.RetentionInDays, id).toBeGreaterThan(0);
  const functions = resourcesOf(template, 'AWS::Lambda::Function');
  const explicit = new Set(logGroups.map(([id]) => id));
  for (const [id, fn] of functions) {
    const loggingConfig = fn.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined;
    // Either the function names its log group, or a group with Lambda's own name was created for it.
    const named = loggingConfig?.LogGroup?.Ref !== undefined && explicit.has(loggingConfig.LogGroup.Ref);
    const precreated = logGroups.some(([, group]) =>
      JSON.stringify(group.Properties?.LogGroupName ?? '').includes(`"Ref":"${id}"`),
    );
    expect(named || precreated, `log group of ${id}`).toBe(true);
  }
  template.resourceCountIs('Custom::LogRetention', 0);
};

describe('storage (default config: retain)', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize();
  });

  it('builds the table from the shared definition: keys, GSIs, TTL, on demand, PITR', () => {
    app.dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: 'OLD_IMAGE' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: tableDefinition.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection:
          'nonKeyAttributes' in index
            ? { ProjectionType: index.projection, NonKeyAttributes: [...index.nonKeyAttributes] }
            : { ProjectionType: index.projection },
      })),
    });
    const table = resourceAt(app.dataTemplate, 'TaskenvData/Storage/Table/Resource');
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('lists page 1 from gsi6, added beside gsi1 with its keys, projecting an environment summary only', () => {
    const table = resourceAt(app.dataTemplate, 'TaskenvData/Storage/Table/Resource');
    const indexes = table.Properties?.GlobalSecondaryIndexes as
      | {
          IndexName: string;
          KeySchema: { AttributeName: string }[];
          Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
        }[]
      | undefined;
    const byName = (name: string) => indexes?.find((index) => index.IndexName === name);
    // CloudFormation cannot change a live index's projection: gsi1 stays as it was deployed.
    expect(byName('gsi1')?.Projection).toEqual({ ProjectionType: 'ALL' });
    const gsi6 = byName('gsi6');
    expect(gsi6?.KeySchema.map((k) => k.AttributeName)).toEqual(['gsi1pk', 'gsi1sk']);
    expect(gsi6?.Projection.ProjectionType).toBe('INCLUDE');
    const projected = gsi6?.Projection.NonKeyAttributes ?? [];
    expect(new Set(projected).size).toBe(projected.length);
    expect([...projected].sort()).toEqual(
      [
        'id',
        'taskRef',
        'state',
        'createdAt',
        'expiresAt',
        'projectId',
        'instruction',
        'serviceUrls',
        'taskVerification',
        'error',
        'verification',
      ].sort(),
    );
    const definitions = table.Properties?.AttributeDefinitions as { AttributeName: string }[] | undefined;
    const names = definitions?.map((d) => d.AttributeName) ?? [];
    expect(new Set(names).size).toBe(names.length);
  });

  it('builds the idempotency table from its definition', () => {
    app.dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: idempotencyTableDefinition.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: idempotencyTableDefinition.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('creates the execute-token key as a KMS HMAC_256 key for GenerateMac/VerifyMac, retained, that only create (GenerateMac) and exec (VerifyMac) may use', () => {
    const key = resourceAt(app.dataTemplate, 'TaskenvData/Storage/ExecuteTokenKey/Resource');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const keyId = logicalIdAt(app.dataTemplate, 'TaskenvData/Storage/ExecuteTokenKey/Resource');
    // The key policy grants the account root only (IAM decides); the service stack's roles name it.
    const policy = key.Properties?.KeyPolicy as { Statement: { Principal?: unknown }[] } | undefined;
    const statements = policy?.Statement ?? [];
    expect(statements.map((st) => JSON.stringify(st.Principal))).toEqual([expect.stringContaining(':root')]);
    const users = resourcesOf(app.serviceTemplate, 'AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties?.PolicyDocument).includes(keyId),
    );
    expect(users.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/^environmentscreateRole/),
      expect.stringMatching(/^environmentsexecRole/),
    ]);
    const execPolicy = JSON.stringify(users.find(([id]) => id.startsWith('environmentsexecRole'))?.[1]);
    expect(execPolicy).toContain('kms:VerifyMac');
    expect(execPolicy).not.toContain('kms:GenerateMac');
  });

  it('encrypts env files with a rotating customer key, blocks public access and expires them after a day', () => {
    const keyId = logicalIdAt(app.dataTemplate, 'TaskenvData/Storage/EnvFileKey/Resource');
    app.dataTemplate.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const bucket = resourceAt(app.dataTemplate, 'TaskenvData/Storage/EnvFileBucket/Resource');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ Prefix: 'env/', ExpirationInDays: 1, Status: 'Enabled' })],
      },
      LoggingConfiguration: expect.objectContaining({ LogFilePrefix: 'env-files/' }),
    });
    // No versions: a deleted env file (it holds secrets) must really be gone.
    expect(bucket.Properties?.VersioningConfiguration).toBeUndefined();
  });

  it('refuses plain HTTP and TLS below 1.2 on both buckets', () => {
    for (const path of ['EnvFileBucket', 'AccessLogBucket']) {
      const bucketId = logicalIdAt(app.dataTemplate, `TaskenvData/Storage/${path}/Resource`);
      app.dataTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            TLS_ONLY,
            Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    }
  });

  it('sets a retention on every log group, and no function logs to an implicit one', () => {
    expectRetentionEverywhere(app.dataTemplate);
    expectRetentionEverywhere(app.serviceTemplate);
  });

  it('exports the table name for `taskenv admin bootstrap`', () => {
    const tableId = logicalIdAt(app.dataTemplate, 'TaskenvData/Storage/Table/Resource');
    app.dataTemplate.hasOutput('TableName', { Value: { Ref: tableId } });
  });
});

describe('storage with removalPolicy=destroy', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize({ removalPolicy: 'destroy', logRetentionDays: '7' });
  });

  it('deletes the table, buckets (emptied first) and key with the stack', () => {
    const table = resourceAt(app.dataTemplate, 'TaskenvData/Storage/Table/Resource');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
    for (const path of ['EnvFileBucket/Resource', 'AccessLogBucket/Resource', 'EnvFileKey/Resource']) {
      expect(resourceAt(app.dataTemplate, `TaskenvData/Storage/${path}`).DeletionPolicy, path).toBe('Delete');
    }
    app.dataTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });

  it('gives the bucket-emptying function a log group with the configured retention', () => {
    expectRetentionEverywhere(app.dataTemplate);
    for (const [, group] of resourcesOf(app.dataTemplate, 'AWS::Logs::LogGroup')) {
      expect(group.Properties?.RetentionInDays).toBe(7);
    }
    for (const [, cr] of resourcesOf(app.dataTemplate, 'Custom::S3AutoDeleteObjects')) {
      expect(cr.DependsOn).toContain(
        logicalIdAt(app.dataTemplate, 'TaskenvData/Storage/AutoDeleteObjectsLogGroup/Resource'),
      );
    }
  });
});

describe('sandbox cluster', () => {
  const ingressOf = (template: Template) =>
    resourcesOf(template, 'AWS::EC2::SecurityGroup').flatMap(([, group]) =>
      ((group.Properties?.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []).map(
        (rule) => ({
          cidr: rule.CidrIp ?? rule.CidrIpv6,
          protocol: rule.IpProtocol,
          from: rule.FromPort,
          to: rule.ToPort,
        }),
      ),
    );

  it('opens nothing by default, runs Container Insights, and builds a NAT-less public VPC with flow logs', () => {
    // Arrange
    const app = synthesize();

    // Assess
    expect(ingressOf(app.serviceTemplate)).toEqual([]);
    app.serviceTemplate.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    app.serviceTemplate.resourceCountIs('AWS::EC2::NatGateway', 0);
    app.serviceTemplate.resourceCountIs('AWS::EC2::FlowLog', 1);
    for (const [, subnet] of resourcesOf(app.serviceTemplate, 'AWS::EC2::Subnet')) {
      expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(true);
    }
    const fn = resourceAt(app.serviceTemplate, 'TaskenvService/environments-create/Function/Resource');
    const variables = variablesOf(fn);
    expect(variables.ASSIGN_PUBLIC_IP).toBe('true');
  });

  it('opens only the task ports, only to the allowed CIDRs', () => {
    // Arrange
    const app = synthesize({ allowedCidrs: '203.0.113.7/32, 2001:db8::/48', taskPorts: '80,8000-8999' });

    // Assess
    expect(ingressOf(app.serviceTemplate)).toEqual(
      expect.arrayContaining([
        { cidr: '203.0.113.7/32', protocol: 'tcp', from: 80, to: 80 },
        { cidr: '203.0.113.7/32', protocol: 'tcp', from: 8000, to: 8999 },
        { cidr: '2001:db8::/48', protocol: 'tcp', from: 80, to: 80 },
        { cidr: '2001:db8::/48', protocol: 'tcp', from: 8000, to: 8999 },
      ]),
    );
    expect(ingressOf(app.serviceTemplate)).toHaveLength(4);
  });

  it('in private mode puts tasks in private subnets behind a NAT, reachable from the VPC only', () => {
    // Arrange
    const app = synthesize({ urlMode: 'private' });
    const vpcId = logicalIdAt(app.serviceTemplate, 'TaskenvService/SandboxCluster/Vpc/Resource');

    // Assess
    app.serviceTemplate.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(ingressOf(app.serviceTemplate)).toEqual([
      { cidr: { 'Fn::GetAtt': [vpcId, 'CidrBlock'] }, protocol: 'tcp', from: 1, to: 65535 },
    ]);
    const fn = resourceAt(app.serviceTemplate, 'TaskenvService/environments-create/Function/Resource');
    const variables = variablesOf(fn);
    expect(variables.ASSIGN_PUBLIC_IP).toBe('false');
    const subnets = JSON.stringify(variables.SUBNETS);
    const privateSubnets = resourcesOf(app.serviceTemplate, 'AWS::EC2::Subnet')
      .filter(([, s]: [string, CfnResource]) => s.Properties?.MapPublicIpOnLaunch === false)
      .map(([id]) => id);
    expect(privateSubnets).toHaveLength(2);
    for (const id of privateSubnets) expect(subnets).toContain(`"${id}"`);
  });
});
