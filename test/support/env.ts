import { inject } from 'vitest';

// Every test process talks to the run's DynamoDB Local with throwaway credentials, through the
// same variables a Lambda reads; nothing here can reach a real AWS account.
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.TABLE_NAME = 'taskenv-test';
process.env.IDEMPOTENCY_TABLE_NAME = 'taskenv-test-idempotency';
// Quiet by default; a test about log content raises the level for its own logger.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// The SDK's notice about Node 22 is known (see README) and would repeat in every worker.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
