/**
 * aws-cdk-lib implements some optional interface members as getters typed `T | undefined`
 * (`Vpc.vpnGatewayId`, `Bucket.isWebsite`), so under `exactOptionalPropertyTypes` an instance
 * is not assignable to its own interface. These widen an instance to its interface and do
 * nothing else; they are the only type assertions of the infrastructure code.
 */
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as s3 from 'aws-cdk-lib/aws-s3';

export const asIVpc = (vpc: ec2.Vpc): ec2.IVpc => vpc as ec2.IVpc;

export const asIBucket = (bucket: s3.Bucket): s3.IBucket => bucket as s3.IBucket;
