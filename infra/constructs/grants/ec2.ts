/** EC2: the address resolver's DescribeNetworkInterfaces (public URL mode only). */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { urlModeConfig } from '#shared/wiring/config';
import type { UrlMode } from '../../config.ts';
import type { GrantTarget, GrantVariables } from './target.ts';

/** In public mode grants ec2:DescribeNetworkInterfaces (a task's public IP); private mode reads the event only. */
export const grantAddresses = (fn: GrantTarget, urlMode: UrlMode): GrantVariables<typeof urlModeConfig> => {
  if (urlMode === 'public') {
    fn.addToPolicy(
      // EC2 Describe* actions have no resource-level permissions: IAM only accepts "*".
      new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }),
      'ec2:DescribeNetworkInterfaces has no resource-level permission; IAM only accepts "*".',
    );
  }
  return { URL_MODE: urlMode };
};
