import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, expect, it } from 'vitest';
import { SqsLifecycleQueue } from '#adapters/aws/sqs-lifecycle-queue';

const sqs = new SQSClient({ region: 'eu-west-1' });
const sqsMock = mockClient(sqs);
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/taskenv-lifecycle-checks';
beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

it('sends one message per check, held back by its own DelaySeconds', async () => {
  // Act
  await new SqsLifecycleQueue({ sqs, queueUrl: QUEUE_URL }).send(
    { kind: 'launch', environmentId: 'e-1', attempt: 3 },
    4,
  );

  // Assess
  expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
    {
      QueueUrl: QUEUE_URL,
      MessageBody: '{"kind":"launch","environmentId":"e-1","attempt":3}',
      DelaySeconds: 4,
    },
  ]);
});

it('keeps the delay within the 0 to 900 s SQS accepts', async () => {
  // Prepare
  const queue = new SqsLifecycleQueue({ sqs, queueUrl: QUEUE_URL });
  const check = { kind: 'launch', environmentId: 'e-1', attempt: 2 } as const;

  // Act
  await queue.send(check, 3600);
  await queue.send(check, -5);

  // Assess
  expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input.DelaySeconds)).toEqual([900, 0]);
});

it('surfaces a failed send, so the caller can leave the retry to the reconciler', async () => {
  // Prepare
  sqsMock.on(SendMessageCommand).rejects(new Error('AccessDenied'));

  // Act / Assess
  await expect(
    new SqsLifecycleQueue({ sqs, queueUrl: QUEUE_URL }).send(
      { kind: 'launch', environmentId: 'e', attempt: 2 },
      2,
    ),
  ).rejects.toThrow('AccessDenied');
});
