import { EC2Client } from '@aws-sdk/client-ec2';

/**
 * Built once per cold start and shared by the function's adapters, so connections are reused
 * across invocations; region and credentials come from the Lambda environment.
 */
export const ec2Client = new EC2Client({});
