import { randomUUID } from 'node:crypto';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStub, startAwsStub } from '../../bench/aws-stub.ts';
import { wavesOf } from '../../bench/call-waves.ts';
import { baselineSource, encodeInput, retarget, type SdkCall } from '../../bench/sdk-calls.ts';

const call = (command: string, startedAt: number, endedAt: number, input: unknown = {}): SdkCall => ({
  client: 'DynamoDBDocumentClient',
  command,
  input,
  startedAt,
  endedAt,
  error: null,
});

describe('the cold-start baseline', () => {
  it('replays calls in the waves they ran in: overlapping calls together, later ones after', () => {
    // Prepare: two reads in parallel, then a write that started after both ended.
    const calls = [call('GetCommand', 0, 5), call('QueryCommand', 1, 6), call('PutCommand', 7, 9)];

    // Act
    const waves = wavesOf(calls).map((wave) => wave.map((c) => c.command));

    // Assess
    expect(waves).toEqual([['GetCommand', 'QueryCommand'], ['PutCommand']]);
  });

  it("gives another fixture's ids to the recorded calls and a fresh id to each id the function made", () => {
    // Prepare: the recording fixture's environment and task ARN, and an execution id the function generated.
    const env = randomUUID();
    const arn = `arn:aws:ecs:us-east-1:000000000000:task/c/${env.replaceAll('-', '')}`;
    const generated = randomUUID();
    const json = JSON.stringify({ pk: `ENV#${env}`, arn, exec: generated, again: generated });
    const nextEnv = randomUUID();
    const nextArn = `arn:aws:ecs:us-east-1:000000000000:task/c/${nextEnv.replaceAll('-', '')}`;
    const fresh = randomUUID();

    // Act
    const result = JSON.parse(retarget(json, [arn, env], [nextArn, nextEnv], () => fresh)) as Record<
      string,
      string
    >;

    // Assess
    expect(result).toEqual({ pk: `ENV#${nextEnv}`, arn: nextArn, exec: fresh, again: fresh });
  });

  it('builds every client of the bundle and sends each recorded command, decoding sets, bytes and dates', () => {
    // Prepare
    const input = encodeInput({
      TableName: 't',
      Key: { pk: 'a' },
      tags: new Set(['x']),
      blob: new Uint8Array([1, 2]),
      at: new Date('2026-01-01T00:00:00.000Z'),
    });

    // Act
    const source = baselineSource(
      ['@aws-sdk/client-dynamodb', '@aws-sdk/client-ecs', '@aws-sdk/lib-dynamodb'],
      [{ ...call('GetCommand', 0, 1), input }],
    );

    // Assess
    expect(input).toEqual({
      TableName: 't',
      Key: { pk: 'a' },
      tags: { $set: ['x'] },
      blob: { $bytes: 'AQI=' },
      at: { $date: '2026-01-01T00:00:00.000Z' },
    });
    expect(source).toContain("import { ECSClient } from '@aws-sdk/client-ecs';");
    expect(source).toContain("import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';");
    expect(source).toContain('ECSClient: new ECSClient({}),');
    expect(source).toContain('DynamoDBDocumentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})');
    expect(source).toContain("'DynamoDBDocumentClient.GetCommand': GetCommand,");
  });
});

describe('the AWS stub of the cold-start figure', () => {
  let stub: AwsStub;
  const config = () => ({
    endpoint: stub.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });

  beforeAll(async () => {
    stub = await startAwsStub();
  });
  afterAll(async () => {
    await stub.stop();
  });

  it('answers the SDK as the services would: one event id per entry, the body MD5 the SQS client checks, an ENI', async () => {
    // Act
    const events = await new EventBridgeClient(config()).send(
      new PutEventsCommand({ Entries: [{ Source: 'a', DetailType: 'b', Detail: '{}' }, { Source: 'a' }] }),
    );
    const message = await new SQSClient(config()).send(
      new SendMessageCommand({
        QueueUrl: `${stub.endpoint}/000000000000/q`,
        MessageBody: '{"kind":"readiness"}',
      }),
    );
    const enis = await new EC2Client(config()).send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0bench'] }),
    );

    // Assess
    expect(events.FailedEntryCount).toBe(0);
    expect(events.Entries).toHaveLength(2);
    expect(message.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(enis.NetworkInterfaces?.[0]?.Association?.PublicIp).toBe('203.0.113.10');
    expect(stub.calls).toEqual(['events:PutEvents', 'sqs:SendMessage', 'ec2:DescribeNetworkInterfaces']);
    expect(stub.unknown).toEqual([]);
  });

  it('refuses, and counts, a call it has no answer for', async () => {
    // Act
    const sent = new SQSClient(config()).send(
      new SendMessageCommand({ QueueUrl: `${stub.endpoint}/q`, MessageBody: 'x' }),
    );
    const refused = new EventBridgeClient(config()).send(
      // Not one of the first invocations' calls.
      new (await import('@aws-sdk/client-eventbridge')).ListRulesCommand({}),
    );

    // Assess
    await expect(sent).resolves.toBeDefined();
    await expect(refused).rejects.toThrow(/events:ListRules/);
    expect(stub.unknown).toEqual(['events:ListRules']);
  });
});
