import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher, PublishFailedError } from '#adapters/aws/eventbridge-publisher';
import type { EnvironmentStateChange } from '#ports/event-publisher';

const eventBridge = new EventBridgeClient({ region: 'eu-west-1' });
const eventBridgeMock = mockClient(eventBridge);

const publisher = new EventBridgePublisher({ eventBridge, busName: 'taskenv-events' });

const change = (n: number): EnvironmentStateChange => ({
  environment_id: `env-${n}`,
  org: 'acme',
  workspace: 'research',
  project_id: 'default',
  task_ref: 'acme/web-sqli@1.2.0',
  state: 'ready',
  previous_state: 'provisioning',
  service_urls: { web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' } },
  error: null,
  time: '2026-03-04T05:06:07.000Z',
});

beforeEach(() => {
  eventBridgeMock.reset();
});

describe('EventBridgePublisher.publish', () => {
  it('puts one "Environment State Change" entry per event on the bus', async () => {
    // Prepare
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });

    // Act
    await publisher.publish([change(1)]);

    // Assess
    expect(eventBridgeMock.commandCalls(PutEventsCommand)[0]?.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: 'taskenv-events',
          Source: 'taskenv',
          DetailType: 'Environment State Change',
          Detail: JSON.stringify(change(1)),
          Resources: [],
        },
      ],
    });
  });

  it('sends 25 events as batches of 10, 10 and 5, in order', async () => {
    // Prepare
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const events = Array.from({ length: 25 }, (_, i) => change(i));

    // Act
    await publisher.publish(events);

    // Assess
    const batches = eventBridgeMock
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries ?? []);
    expect(batches.map((entries) => entries.length)).toEqual([10, 10, 5]);
    const sentIds = batches.flat().map((entry) => JSON.parse(entry.Detail ?? '{}').environment_id);
    expect(sentIds).toEqual(events.map((e) => e.environment_id));
  });

  it('throws when EventBridge rejects entries, so the consumer is retried', async () => {
    // Prepare
    eventBridgeMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'Try again' }],
    });

    // Act
    const result = publisher.publish([change(1), change(2)]);

    // Assess
    await expect(result).rejects.toBeInstanceOf(PublishFailedError);
    await expect(result).rejects.toThrow('EventBridge rejected 1 of 2 events (InternalFailure: Try again)');
  });

  it('stops at the first failed batch', async () => {
    // Prepare
    eventBridgeMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 2, Entries: [] })
      .resolves({ FailedEntryCount: 0 });

    // Act
    const result = publisher.publish(Array.from({ length: 25 }, (_, i) => change(i)));

    // Assess
    await expect(result).rejects.toBeInstanceOf(PublishFailedError);
    expect(eventBridgeMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('makes no call for no events', async () => {
    // Act
    await publisher.publish([]);

    // Assess
    expect(eventBridgeMock.calls()).toHaveLength(0);
  });
});
