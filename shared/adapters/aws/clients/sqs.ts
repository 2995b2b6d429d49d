import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Built once per cold start and shared by the function's adapters, so connections are reused
 * across invocations; region and credentials come from the Lambda environment.
 */
export const sqsClient = new SQSClient({});
