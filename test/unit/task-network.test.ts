/** Where a task listens, from the fields ECS events and DescribeTasks share (`taskNetwork`). */
import { describe, expect, it } from 'vitest';
import { taskNetwork } from '#domain/task-network';

describe('taskNetwork', () => {
  it('knows nothing of a task that carries no network fields', () => {
    expect(taskNetwork({})).toEqual({ eniId: null, privateIp: null, bindings: [] });
  });

  it('reads the ENI attachment, whichever attachment comes first', () => {
    const network = taskNetwork({
      attachments: [
        {},
        { type: 'ElasticInferenceAccelerator', details: [{ name: 'networkInterfaceId', value: 'eia-1' }] },
        {
          type: 'ElasticNetworkInterface',
          details: [
            { name: 'networkInterfaceId', value: 'eni-1' },
            { name: 'privateIPv4Address', value: '10.0.0.5' },
          ],
        },
      ],
    });
    expect(network).toEqual({ eniId: 'eni-1', privateIp: '10.0.0.5', bindings: [] });
  });

  it('falls back to the first container interface with an address when the ENI gives none', () => {
    const network = taskNetwork({
      attachments: [{ type: 'eni' }],
      containers: [{ networkInterfaces: [{}] }, { networkInterfaces: [{ privateIpv4Address: '10.0.0.9' }] }],
    });
    expect(network).toEqual({ eniId: null, privateIp: '10.0.0.9', bindings: [] });
  });

  it('keeps only the bindings with both ports, naming what is unnamed with an empty string', () => {
    const network = taskNetwork({
      containers: [
        {
          networkBindings: [
            { containerPort: 80 },
            { hostPort: 49153 },
            { containerPort: 8080, hostPort: 49160 },
          ],
        },
        { name: 'api', networkBindings: [{ bindIP: '127.0.0.1', containerPort: 9090, hostPort: 49161 }] },
      ],
    });
    expect(network.bindings).toEqual([
      { containerName: '', containerPort: 8080, hostPort: 49160, bindIp: '' },
      { containerName: 'api', containerPort: 9090, hostPort: 49161, bindIp: '127.0.0.1' },
    ]);
  });
});
