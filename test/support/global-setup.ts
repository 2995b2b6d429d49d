import type { TestProject } from 'vitest/node';
import { ensureTables, startDynamoDbLocal } from '#adapters/local/dynamodb-local';
import { buildBundles } from '../../scripts/build.ts';

/**
 * Compiles the CLI and SDK (`dist/`), starts one in-memory DynamoDB Local for the whole run,
 * creates the tables from the shared definition and points the SDK at it through the standard
 * `AWS_ENDPOINT_URL_DYNAMODB`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // The e2e tests run `bin/taskenv.js`, which loads the compiled CLI: compile what is checked out.
  await buildBundles();
  const ddb = await startDynamoDbLocal();
  const names = { table: 'taskenv-test', idempotencyTable: 'taskenv-test-idempotency' };
  await ensureTables(ddb.endpoint, names);
  project.provide('dynamodbEndpoint', ddb.endpoint);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  return () => ddb.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
