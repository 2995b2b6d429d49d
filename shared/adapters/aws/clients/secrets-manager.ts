import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Built once per cold start and shared by the function's adapters, so connections are reused
 * across invocations; region and credentials come from the Lambda environment.
 */
export const secretsManagerClient = new SecretsManagerClient({});
