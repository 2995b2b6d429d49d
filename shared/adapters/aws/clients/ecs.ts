import { ECSClient } from '@aws-sdk/client-ecs';

/**
 * Built once per cold start and shared by the function's adapters, so connections are reused
 * across invocations; region and credentials come from the Lambda environment.
 */
export const ecsClient = new ECSClient({});
