import { DescribeNetworkInterfacesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2AddressResolver } from '#adapters/aws/ec2-address-resolver';
import type { TaskNetwork } from '#ports/address-resolver';

const ec2 = new EC2Client({ region: 'eu-west-1' });
const ec2Mock = mockClient(ec2);

const network: TaskNetwork = { eniId: 'eni-0abc123', privateIp: '10.0.1.23', bindings: [] };

const ec2Error = (name: string, message: string): EC2ServiceException =>
  new EC2ServiceException({ name, message, $fault: 'client', $metadata: {} });

beforeEach(() => {
  ec2Mock.reset();
});

describe('Ec2AddressResolver in private mode', () => {
  it('answers the private IP without calling EC2', async () => {
    // Prepare
    const resolver = new Ec2AddressResolver({ ec2, mode: 'private' });

    // Act
    const host = await resolver.hostFor(network);

    // Assess
    expect(host).toBe('10.0.1.23');
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});

describe('Ec2AddressResolver in public mode', () => {
  const resolver = new Ec2AddressResolver({ ec2, mode: 'public' });

  it("answers the public IP associated with the task's ENI", async () => {
    // Prepare
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0abc123', Association: { PublicIp: '203.0.113.7' } }],
    });

    // Act
    const host = await resolver.hostFor(network);

    // Assess
    expect(host).toBe('203.0.113.7');
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)[0]?.args[0].input).toEqual({
      NetworkInterfaceIds: ['eni-0abc123'],
    });
  });

  it('answers null while no public IP is associated', async () => {
    // Prepare
    ec2Mock
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0abc123' }] });

    // Act
    const host = await resolver.hostFor(network);

    // Assess
    expect(host).toBeNull();
  });

  it('answers null for an ENI that is already gone', async () => {
    // Prepare
    ec2Mock
      .on(DescribeNetworkInterfacesCommand)
      .rejects(
        ec2Error(
          'InvalidNetworkInterfaceID.NotFound',
          "The networkInterface ID 'eni-0abc123' does not exist",
        ),
      );

    // Act
    const host = await resolver.hostFor(network);

    // Assess
    expect(host).toBeNull();
  });

  it('answers null without calling EC2 when the event names no ENI yet', async () => {
    // Act
    const host = await resolver.hostFor({ ...network, eniId: null });

    // Assess
    expect(host).toBeNull();
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('surfaces other EC2 errors so the event is retried', async () => {
    // Prepare
    const denied = ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(denied);

    // Act
    const result = resolver.hostFor(network);

    // Assess
    await expect(result).rejects.toBe(denied);
  });
});
