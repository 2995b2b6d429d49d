import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/**
 * Built once per cold start and shared by the function's adapters, so connections are reused
 * across invocations; region and credentials come from the Lambda environment.
 */
export const eventBridgeClient = new EventBridgeClient({});
