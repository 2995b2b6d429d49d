import { S3Client } from '@aws-sdk/client-s3';

/**
 * Built once per cold start and shared by the function's adapters, so connections are reused
 * across invocations; region and credentials come from the Lambda environment.
 */
export const s3Client = new S3Client({});
