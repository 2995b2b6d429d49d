import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type LifecycleCheck, MAX_CHECK_DELAY_SEC } from '#domain/lifecycle-check';
import type { LifecycleQueue } from '#ports/lifecycle-queue';

/**
 * {@link LifecycleQueue} on an SQS queue: one message per check, held back by its own
 * `DelaySeconds` (SQS allows 0 to 900 s per message), consumed by the lifecycle-checks function.
 */
export class SqsLifecycleQueue implements LifecycleQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor({ sqs, queueUrl }: { sqs: SQSClient; queueUrl: string }) {
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
  }

  async send(check: LifecycleCheck, delaySec: number): Promise<void> {
    await this.#sqs.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify(check),
        DelaySeconds: Math.min(Math.max(0, Math.round(delaySec)), MAX_CHECK_DELAY_SEC),
      }),
    );
  }
}
