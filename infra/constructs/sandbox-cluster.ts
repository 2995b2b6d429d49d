import { Annotations, ArnFormat, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PortRange, UrlMode } from '../config.ts';
import type { ContainerRuntimeBinding, EnvFileBucket } from './grants/index.ts';
import { PULL_ACTIONS } from './image-repository.ts';
import { acknowledgeWildcard } from './nag.ts';
import { asIVpc } from './widen.ts';

export interface SandboxClusterProps {
  /** Where clients reach the tasks: public IPs in public subnets, or private IPs. */
  readonly urlMode: UrlMode;
  /**
   * A VPC to run the tasks in. Public mode uses its public subnets; private mode its private
   * subnets with egress (the tasks pull their images from the internet).
   * @default a new VPC over two AZs: public subnets only in public mode (no NAT gateway),
   * public subnets plus private subnets behind one NAT gateway in private mode
   */
  readonly existingVpc?: ec2.IVpc;
  /**
   * Sources allowed to reach the task ports.
   * @default none in public mode; the VPC's CIDR in private mode
   */
  readonly allowedCidrs?: readonly string[];
  /**
   * TCP ports of the tasks opened to `allowedCidrs`.
   * @default every TCP port (tasks choose their own)
   */
  readonly taskPorts?: readonly PortRange[];
  /** Env files the tasks' execution role may read (ECS `environmentFiles`). */
  readonly envFiles: EnvFileBucket;
  /**
   * The one private ECR repository the tasks' execution role may pull from: where `taskenv
   * task push` puts task images. Images of public registries need no IAM.
   */
  readonly imageRepository: { readonly repositoryArn: string };
  /**
   * Retention of the tasks' container logs and of the VPC flow logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What `cdk destroy` does with the log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Where sandboxes run: the network, the Fargate cluster (Container Insights on), the one
 * security group of every task (ingress only from the allowed CIDRs, only to task ports), and
 * the roles and log group every taskenv task definition names. Task definitions themselves
 * are registered at run time, one per published task version.
 */
export class SandboxCluster extends Construct implements ContainerRuntimeBinding {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly taskSecurityGroup: ec2.SecurityGroup;
  /** Pulls images, writes container logs and reads the environment's env file. */
  readonly executionRole: iam.Role;
  /** What the sandbox's own code may call on AWS: nothing. */
  readonly taskRole: iam.Role;
  readonly taskLogGroup: logs.LogGroup;
  readonly subnets: ec2.SelectedSubnets;

  readonly clusterArn: string;
  readonly clusterName: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: SandboxClusterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const isPublic = props.urlMode === 'public';

    this.vpc = props.existingVpc ?? asIVpc(this.createVpc(isPublic, logRetention, logRemovalPolicy));
    this.subnets = this.vpc.selectSubnets({
      subnetType: isPublic ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'taskenv sandboxes: task ports from the allowed CIDRs only',
      // Sandboxes pull images and may call out; nothing reaches them unless allowed below.
      allowAllOutbound: true,
    });
    const cidrs = props.allowedCidrs ?? (isPublic ? [] : [this.vpc.vpcCidrBlock]);
    const ports = props.taskPorts ?? [{ from: 1, to: 65535 }];
    for (const cidr of cidrs) {
      const peer = cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
      for (const { from, to } of ports) {
        this.taskSecurityGroup.addIngressRule(
          peer,
          from === to ? ec2.Port.tcp(from) : ec2.Port.tcpRange(from, to),
          'taskenv clients',
        );
      }
    }
    if (cidrs.length === 0) {
      Annotations.of(this).addWarningV2(
        'taskenv:no-allowed-cidrs',
        'No allowedCidrs: nothing outside the VPC can reach the sandboxes. Set -c allowedCidrs=<your CIDR>.',
      );
    }
    if (cidrs.some((cidr) => Token.isUnresolved(cidr))) {
      // cdk-nag cannot read a CIDR that CloudFormation resolves: it is the new VPC's own block.
      Validations.of(this.taskSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'Private URL mode: task ports are open to the VPC’s own CIDR block only.',
      });
    } else if (cidrs.some((cidr) => cidr.endsWith('/0'))) {
      Validations.of(this.taskSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'The operator opened the task ports to the internet on purpose (allowedCidrs).',
      });
    }

    this.taskLogGroup = new logs.LogGroup(this, 'TaskLogGroup', {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });

    // Both roles are assumed by ECS tasks of this account and region only (confused deputy).
    const assumedByTasks = new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'ecs',
            resource: '*',
            arnFormat: ArnFormat.NO_RESOURCE_NAME,
          }),
        },
      },
    });
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: assumedByTasks,
      description: 'taskenv sandbox tasks: only the SSM channels of ECS Exec',
    });
    // ECS Exec: the agent in the task opens its control and data channels, nothing more.
    this.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        // The ssmmessages channel actions have no resource-level permission: IAM only accepts "*".
        resources: ['*'],
      }),
    );
    acknowledgeWildcard(
      this.taskRole,
      '*',
      'ssmmessages channel actions (ECS Exec) have no resource-level permission; IAM only accepts "*".',
    );
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: assumedByTasks,
      description: 'taskenv sandbox tasks: pull images, write logs, read the env file',
    });
    this.grantExecution(props.envFiles, props.imageRepository.repositoryArn);

    this.clusterArn = this.cluster.clusterArn;
    this.clusterName = this.cluster.clusterName;
    this.subnetIds = this.subnets.subnetIds;
    this.securityGroupIds = [this.taskSecurityGroup.securityGroupId];
    this.assignPublicIp = isPublic;
  }

  private createVpc(isPublic: boolean, retention: logs.RetentionDays, removalPolicy: RemovalPolicy): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: isPublic ? 0 : 1,
      subnetConfiguration: isPublic
        ? [{ name: 'tasks', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }]
        : [
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
            { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
          ],
      // Restricting the default security group takes a custom-resource Lambda; nothing of
      // taskenv uses that group, and the tasks get their own.
      restrictDefaultSecurityGroup: false,
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention, removalPolicy }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    return vpc;
  }

  /**
   * The execution role's rights, written out instead of AmazonECSTaskExecutionRolePolicy, which
   * lets any task write to every log group and pull from every repository of the account: here
   * the task log group and the deployment's image repository only.
   */
  private grantExecution(envFiles: EnvFileBucket, repositoryArn: string): void {
    const stack = Stack.of(this);
    const role = this.executionRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:GetAuthorizationToken'],
        // GetAuthorizationToken has no resource-level permission: IAM only accepts "*".
        resources: ['*'],
      }),
    );
    acknowledgeWildcard(
      role,
      '*',
      'ecr:GetAuthorizationToken has no resource-level permission; IAM only accepts "*".',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...PULL_ACTIONS], resources: [repositoryArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.taskLogGroup.logGroupArn],
      }),
    );
    // ECS reads `environmentFiles` with the execution role: GetObject, plus GetBucketLocation.
    const envFileObjects = envFiles.bucket.arnForObjects(`${envFiles.prefix}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [envFileObjects] }),
    );
    acknowledgeWildcard(
      role,
      envFileObjects,
      'One env file per environment under the env-file prefix; a task definition is shared by all environments of a task version.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [envFiles.bucket.bucketArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [envFiles.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
  }
}
