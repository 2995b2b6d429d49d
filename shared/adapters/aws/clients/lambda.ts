import { LambdaClient } from '@aws-sdk/client-lambda';

/** Built once per cold start (see `ecs.ts`). */
export const lambdaClient = new LambdaClient({});
