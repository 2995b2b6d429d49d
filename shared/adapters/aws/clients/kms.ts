import { KMSClient } from '@aws-sdk/client-kms';

/** Built once per cold start; region and credentials come from the Lambda environment. */
export const kmsClient = new KMSClient({});
