/**
 * The non-DynamoDB AWS calls of the deployed adapters (RunTask, the env file's PutObject /
 * DeleteObject, the expiry schedule, PutEvents, the execute token's GenerateMac, SQS, EC2),
 * made by the real adapters on real SDK clients whose `send` aws-sdk-client-mock answers at
 * once. Every call is counted, charged to the {@link inScope} that made it, and can be sent again
 * raw on the same client, so a figure and its baseline pay for the same calls alike.
 */
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, RunTaskCommand, type RunTaskCommandInput, StopTaskCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2AddressResolver } from '#adapters/aws/ec2-address-resolver';
import { EcsRuntime } from '#adapters/aws/ecs-runtime';
import { EventBridgePoolNudge } from '#adapters/aws/eventbridge-pool-nudge';
import { EventBridgePublisher } from '#adapters/aws/eventbridge-publisher';
import { KmsExecuteTokens } from '#adapters/aws/kms-execute-tokens';
import { S3EnvFileStore } from '#adapters/aws/s3-env-file-store';
import { SchedulerExpiry } from '#adapters/aws/scheduler-expiry';
import { SqsLifecycleQueue } from '#adapters/aws/sqs-lifecycle-queue';
import { currentScope } from './call-scope.ts';
import { taskArnFor } from './fakes.ts';

const REGION = 'us-east-1';
export const BENCH_CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/taskenv-bench';

export interface AwsCall {
  /** `ECS:RunTask`, `S3:PutObject` … */
  readonly name: string;
  readonly input: unknown;
  readonly scope: string | undefined;
  /** `performance.now()` when it was made. */
  readonly at: number;
}

/** What a mocked client answers, by command. */
type Responder = (input: never) => unknown;

/** Counts the calls the mocked clients answered. */
export class AwsCallLedger {
  #calls: AwsCall[] = [];

  record(name: string, input: unknown): void {
    this.#calls.push({ name, input, scope: currentScope(), at: performance.now() });
  }

  /** Calls since the last `take`; clears them. */
  take(): AwsCall[] {
    const calls = this.#calls;
    this.#calls = [];
    return calls;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a command class of any client, as aws-sdk-client-mock takes it
type AnyCommand = new (input: any) => any;

interface MockedService {
  readonly service: string;
  // biome-ignore lint/suspicious/noExplicitAny: any SDK client; only `send` is used
  readonly client: { send(command: any): Promise<unknown>; destroy(): void };
  readonly commands: readonly (readonly [AnyCommand, Responder])[];
}

export interface MockedAws {
  readonly ledger: AwsCallLedger;
  readonly runtime: EcsRuntime;
  readonly envFiles: S3EnvFileStore;
  readonly expiry: SchedulerExpiry;
  readonly publisher: EventBridgePublisher;
  readonly executeTokens: KmsExecuteTokens;
  readonly checks: SqsLifecycleQueue;
  /** URL mode `public`: one DescribeNetworkInterfaces per RUNNING. */
  readonly addresses: Ec2AddressResolver;
  readonly poolKeeper: EventBridgePoolNudge;
  /** Sends a recorded call again on the client that answered it (counted like any other). */
  replay(call: Pick<AwsCall, 'name' | 'input'>): Promise<unknown>;
  restore(): void;
}

const commandName = (command: AnyCommand): string => command.name.replace(/Command$/, '');

export const mockedAws = (): MockedAws => {
  const ledger = new AwsCallLedger();
  const ecs = new ECSClient({ region: REGION });
  const s3 = new S3Client({ region: REGION });
  const scheduler = new SchedulerClient({ region: REGION });
  const eventBridge = new EventBridgeClient({ region: REGION });
  const kms = new KMSClient({ region: REGION });
  const sqs = new SQSClient({ region: REGION });
  const ec2 = new EC2Client({ region: REGION });
  const services: MockedService[] = [
    {
      service: 'ECS',
      client: ecs,
      commands: [
        [
          RunTaskCommand,
          (input: RunTaskCommandInput) => ({
            tasks: [{ taskArn: taskArnFor(input.startedBy ?? 'unknown') }],
            failures: [],
          }),
        ],
        [StopTaskCommand, () => ({})],
      ],
    },
    {
      service: 'S3',
      client: s3,
      commands: [
        [PutObjectCommand, () => ({ ETag: '"bench"' })],
        [DeleteObjectCommand, () => ({})],
      ],
    },
    {
      service: 'Scheduler',
      client: scheduler,
      commands: [
        [
          CreateScheduleCommand,
          () => ({ ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/b/b' }),
        ],
        [
          UpdateScheduleCommand,
          () => ({ ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/b/b' }),
        ],
        [DeleteScheduleCommand, () => ({})],
      ],
    },
    {
      service: 'EventBridge',
      client: eventBridge,
      commands: [
        [
          PutEventsCommand,
          (input: PutEventsCommandInput) => ({
            FailedEntryCount: 0,
            Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `bench-${i}` })),
          }),
        ],
      ],
    },
    {
      service: 'KMS',
      client: kms,
      commands: [
        [GenerateMacCommand, () => ({ Mac: new Uint8Array(32).fill(7), KeyId: 'bench' })],
        [VerifyMacCommand, () => ({ MacValid: true })],
      ],
    },
    { service: 'SQS', client: sqs, commands: [[SendMessageCommand, () => ({ MessageId: 'bench' })]] },
    {
      service: 'EC2',
      client: ec2,
      commands: [
        [
          DescribeNetworkInterfacesCommand,
          () => ({ NetworkInterfaces: [{ Association: { PublicIp: '203.0.113.10' } }] }),
        ],
      ],
    },
  ];
  const byName = new Map<string, { client: MockedService['client']; command: AnyCommand }>();
  const mocks = services.map(({ service, client, commands }) => {
    const mock = mockClient(client as ECSClient);
    for (const [command, respond] of commands) {
      const name = `${service}:${commandName(command)}`;
      byName.set(name, { client, command });
      mock.on(command).callsFake((input: unknown) => {
        ledger.record(name, input);
        return respond(input as never);
      });
    }
    return mock;
  });
  return {
    ledger,
    runtime: new EcsRuntime({
      ecs,
      config: {
        clusterArn: BENCH_CLUSTER_ARN,
        subnets: ['subnet-bench'],
        securityGroups: ['sg-bench'],
        assignPublicIp: true,
        executionRoleArn: 'arn:aws:iam::000000000000:role/bench-execution',
        taskRoleArn: 'arn:aws:iam::000000000000:role/bench-task',
        logGroupName: '/taskenv/bench',
        region: REGION,
      },
    }),
    envFiles: new S3EnvFileStore({ s3, bucket: 'taskenv-bench-env', kmsKeyId: 'alias/bench' }),
    expiry: new SchedulerExpiry({
      scheduler,
      groupName: 'taskenv-bench',
      roleArn: 'arn:aws:iam::000000000000:role/bench-scheduler',
      clusterArn: BENCH_CLUSTER_ARN,
    }),
    publisher: new EventBridgePublisher({ eventBridge, busName: 'taskenv-bench' }),
    executeTokens: new KmsExecuteTokens({ kms, keyId: 'alias/bench-execute' }),
    checks: new SqsLifecycleQueue({
      sqs,
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench',
    }),
    addresses: new Ec2AddressResolver({ ec2, mode: 'public' }),
    poolKeeper: new EventBridgePoolNudge({ eventBridge, busName: 'taskenv-bench' }),
    replay: (call) => {
      const target = byName.get(call.name);
      if (target === undefined) throw new Error(`The benchmark cannot replay ${call.name}`);
      return target.client.send(new target.command(call.input));
    },
    restore: () => {
      for (const mock of mocks) mock.restore();
      for (const { client } of services) client.destroy();
    },
  };
};
