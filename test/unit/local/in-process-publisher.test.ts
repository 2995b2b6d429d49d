import { describe, expect, it, vi } from 'vitest';
import { InProcessPublisher } from '#adapters/local/in-process-publisher';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import type { EnvironmentStateChange } from '#ports/event-publisher';
import type { Log } from '#ports/log';

const change = (n: number): EnvironmentStateChange => ({
  environment_id: `env-${n}`,
  org: 'local',
  workspace: 'default',
  project_id: 'default',
  task_ref: 'local/hello-http@1.0.0',
  state: 'ready',
  previous_state: 'provisioning',
  service_urls: null,
  error: null,
  time: '2025-01-01T00:00:00.000Z',
});

describe('InProcessPublisher', () => {
  it('hands each event to the listeners in order and keeps it for recent()', async () => {
    // Prepare
    const received: string[] = [];
    const publisher = new InProcessPublisher({ onEvent: (e) => void received.push(e.environment_id) });
    const unsubscribe = publisher.subscribe((e) => void received.push(`second:${e.environment_id}`));

    // Act
    await publisher.publish([change(1), change(2)]);
    unsubscribe();
    await publisher.publish([change(3)]);

    // Assess
    expect(received).toEqual(['env-1', 'second:env-1', 'env-2', 'second:env-2', 'env-3']);
    expect(publisher.recent().map((e) => e.environment_id)).toEqual(['env-1', 'env-2', 'env-3']);
  });

  it('keeps only the most recent events', async () => {
    // Prepare
    const publisher = new InProcessPublisher({ capacity: 3 });

    // Act
    await publisher.publish([1, 2, 3, 4, 5].map(change));

    // Assess
    expect(publisher.recent().map((e) => e.environment_id)).toEqual(['env-3', 'env-4', 'env-5']);
  });

  it('logs a failing listener and still reaches the others', async () => {
    // Prepare
    const log: Log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const after = vi.fn();
    const publisher = new InProcessPublisher({
      onEvent: () => {
        throw new Error('listener broke');
      },
      log,
    });
    publisher.subscribe(after);

    // Act
    await publisher.publish([change(1)]);

    // Assess
    expect(after).toHaveBeenCalledOnce();
    expect(log.warn).toHaveBeenCalledWith(
      'Environment event listener failed',
      expect.objectContaining({ environmentId: 'env-1', error: 'listener broke' }),
    );
  });
});

describe('LoopbackAddressResolver', () => {
  it('answers the loopback address whatever the network', async () => {
    // Act
    const host = await new LoopbackAddressResolver().hostFor({ eniId: null, privateIp: null, bindings: [] });

    // Assess
    expect(host).toBe('127.0.0.1');
  });
});
