import { DescribeNetworkInterfacesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { AddressResolver, TaskNetwork } from '#ports/address-resolver';

/** Which address of the task's ENI clients use: URL mode `public` or `private` (`docs/design.md`). */
export type AddressMode = 'public' | 'private';

/**
 * {@link AddressResolver} for Fargate tasks in awsvpc mode. ECS task events carry the ENI id and
 * its private IP but never the public IP, so public mode asks EC2 for the ENI's association.
 */
export class Ec2AddressResolver implements AddressResolver {
  readonly #ec2: EC2Client;
  readonly #mode: AddressMode;

  constructor({ ec2, mode }: { ec2: EC2Client; mode: AddressMode }) {
    this.#ec2 = ec2;
    this.#mode = mode;
  }

  async hostFor(network: TaskNetwork): Promise<string | null> {
    if (this.#mode === 'private') {
      return network.privateIp;
    }
    if (network.eniId === null) {
      return null;
    }
    try {
      const response = await this.#ec2.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [network.eniId] }),
      );
      return response.NetworkInterfaces?.[0]?.Association?.PublicIp ?? null;
    } catch (e) {
      // The ENI is released as the task stops; a late RUNNING event then simply has no host.
      if (e instanceof Error && e.name === 'InvalidNetworkInterfaceID.NotFound') {
        return null;
      }
      throw e;
    }
  }
}
