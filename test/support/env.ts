import { inject } from 'vitest';

// Every test process talks to the run's DynamoDB Local with throwaway credentials, through the
// same variables a Lambda reads; nothing here can reach a real AWS account.
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.TABLE_NAME = 'taskenv-test';
process.env.IDEMPOTENCY_TABLE_NAME = 'taskenv-test-idempotency';
