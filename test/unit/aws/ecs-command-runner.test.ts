/**
 * ECS Exec at the SDK boundary (the ExecuteCommand input) and over the SSM data channel against
 * a fake agent: a WebSocket server in this test that speaks the framing (handshake,
 * acknowledgements, sequence numbers, out-of-order delivery, channel_closed).
 */
import type { AddressInfo } from 'node:net';
import { ECSClient, ExecuteCommandCommand, TargetNotConnectedException } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { EcsCommandRunner, wrapCommand } from '#adapters/aws/ecs-command-runner';
import {
  type AgentMessage,
  decodeMessage,
  encodeMessage,
  MessageType,
  PayloadType,
} from '#adapters/aws/ssm-protocol';
import { ExecUnavailableError } from '#ports/container-runtime';

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/taskenv';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/taskenv/0123456789abcdef0123456789abcdef';

const ecs = mockClient(ECSClient);

/** What the fake agent saw from the client. */
interface AgentLog {
  opening: Record<string, unknown> | null;
  inputs: AgentMessage[];
  acks: Record<string, unknown>[];
}

type Script = (agent: {
  send: (sequenceNumber: number, payloadType: number, payload: string | Buffer) => void;
  close: () => void;
  nextInput: () => Promise<AgentMessage>;
  marker: string;
}) => Promise<void>;

let server: WebSocketServer;
let log: AgentLog;
let script: Script;

beforeEach(async () => {
  ecs.reset();
  log = { opening: null, inputs: [], acks: [] };
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/data-channel`;
  ecs
    .on(ExecuteCommandCommand)
    .resolves({ session: { sessionId: 's-1', streamUrl: url, tokenValue: 'token-1' } });
  server.on('connection', (socket) => {
    const waiting: ((m: AgentMessage) => void)[] = [];
    const queued: AgentMessage[] = [];
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        log.opening = JSON.parse(data.toString('utf8'));
        const command = String(ecs.commandCalls(ExecuteCommandCommand)[0]?.args[0].input.command ?? '');
        const marker = /(__TASKENV_EXIT_[0-9a-f]+__)/.exec(command)?.[1] ?? '';
        void script({
          marker,
          send: (sequenceNumber, payloadType, payload) =>
            socket.send(
              encodeMessage({
                messageType: MessageType.OutputStream,
                sequenceNumber,
                flags: 0,
                payloadType,
                payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
              }),
            ),
          close: () =>
            socket.send(
              encodeMessage({
                messageType: MessageType.ChannelClosed,
                sequenceNumber: 0,
                flags: 0,
                payloadType: PayloadType.Undefined,
                payload: Buffer.from(JSON.stringify({ MessageType: 'channel_closed', SessionId: 's-1' })),
              }),
            ),
          nextInput: () =>
            new Promise((resolve) => {
              const next = queued.shift();
              if (next !== undefined) resolve(next);
              else waiting.push(resolve);
            }),
        });
        return;
      }
      const message = decodeMessage(data);
      if (message.messageType === MessageType.Acknowledge) {
        log.acks.push(JSON.parse(message.payload.toString('utf8')));
        return;
      }
      log.inputs.push(message);
      const resolve = waiting.shift();
      if (resolve !== undefined) resolve(message);
      else queued.push(message);
    });
  });
});

afterEach(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
});

const handshake = async (agent: Parameters<Script>[0]) => {
  agent.send(
    0,
    PayloadType.HandshakeRequest,
    JSON.stringify({ AgentVersion: '3.3.0.0', RequestedClientActions: [{ ActionType: 'SessionType' }] }),
  );
  const response = await agent.nextInput();
  expect(response.payloadType).toBe(PayloadType.HandshakeResponse);
  agent.send(1, PayloadType.HandshakeComplete, JSON.stringify({ HandshakeTimeToComplete: 1 }));
};

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

const runner = new EcsCommandRunner({ ecs: new ECSClient({ region: 'us-east-1' }), clusterArn: CLUSTER });

describe('EcsCommandRunner', () => {
  it('runs the wrapped command interactively in the service container and reads the exit code from the marker', async () => {
    // Prepare: output arrives out of order (3 before 2) and the marker is split across frames.
    script = async (agent) => {
      await handshake(agent);
      agent.send(3, PayloadType.Output, `err\n\n${agent.marker.slice(0, 5)}`);
      agent.send(2, PayloadType.Output, 'out\n');
      agent.send(4, PayloadType.Output, `${agent.marker.slice(5)}3\n`);
      agent.close();
    };

    // Act
    const result = await runner.exec(TASK, 'web', 'echo out; echo err >&2; exit 3', {
      timeoutSec: 10,
      env: { MODE: "it's" },
      workdir: '/srv',
    });

    // Assess
    expect(result).toMatchObject({ exitCode: 3, output: 'out\nerr\n', truncated: false, timedOut: false });
    const input = ecs.commandCalls(ExecuteCommandCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ cluster: CLUSTER, task: TASK, container: 'web', interactive: true });
    const marker = /(__TASKENV_EXIT_[0-9a-f]{16}__)/.exec(String(input?.command))?.[1] ?? '';
    expect(input?.command).toBe(
      wrapCommand('echo out; echo err >&2; exit 3', { env: { MODE: "it's" }, workdir: '/srv' }, marker),
    );
    expect(log.opening).toMatchObject({ TokenValue: 'token-1', MessageSchemaVersion: '1.0' });
    // Every output message acknowledged with its own sequence number and id.
    await until(() => log.acks.length >= 5);
    expect(log.acks.map((a) => a.AcknowledgedMessageSequenceNumber).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const ack of log.acks) expect(ack.AcknowledgedMessageType).toBe('output_stream_data');
    // The client's own messages are numbered from 0: handshake response, then the terminal size.
    expect(log.inputs.map((m) => [m.sequenceNumber, m.payloadType])).toEqual([
      [0, PayloadType.HandshakeResponse],
      [1, PayloadType.Size],
    ]);
    expect(JSON.parse(log.inputs[0]?.payload.toString('utf8') ?? '{}')).toMatchObject({
      ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: 1 }],
    });
  });

  it('kills a command past its timeout: Ctrl-C and a terminate flag, exit 124', async () => {
    // Prepare
    script = async (agent) => {
      await handshake(agent);
      agent.send(2, PayloadType.Output, 'started\n');
      await agent.nextInput(); // the terminal size
      const interrupt = await agent.nextInput();
      const terminate = await agent.nextInput();
      expect(interrupt.payload.toString()).toBe('\u0003');
      expect(terminate.payloadType).toBe(PayloadType.Flag);
      agent.close();
    };

    // Act
    const started = Date.now();
    const result = await runner.exec(TASK, 'web', 'sleep 30', { timeoutSec: 1 });

    // Assess
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, output: 'started\n' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses a session that asks for KMS encryption, and a task whose agent is not connected', async () => {
    // Prepare
    script = async (agent) => {
      agent.send(
        0,
        PayloadType.HandshakeRequest,
        JSON.stringify({ RequestedClientActions: [{ ActionType: 'KMSEncryption' }] }),
      );
    };

    // Act
    const kms = runner.exec(TASK, 'web', 'true', { timeoutSec: 5 });
    await expect(kms).rejects.toBeInstanceOf(ExecUnavailableError);
    ecs
      .on(ExecuteCommandCommand)
      .rejects(new TargetNotConnectedException({ message: 'agent not connected', $metadata: {} }));
    const notConnected = runner.exec(TASK, 'web', 'true', { timeoutSec: 5 });

    // Assess
    await expect(notConnected).rejects.toBeInstanceOf(ExecUnavailableError);
  });
});
