/**
 * One command over an SSM session (what ECS ExecuteCommand hands out): open the data channel,
 * answer the agent's handshake, acknowledge every output message, put output back in sequence
 * order into one capped buffer, and read the exit code from the marker the wrapper prints after
 * the command. `channel_closed` (or the socket closing) ends it.
 */
import WebSocket from 'ws';
import { ExecUnavailableError, MAX_EXEC_OUTPUT_BYTES, TIMED_OUT_EXIT_CODE } from '#ports/container-runtime';
import {
  type AgentMessage,
  acknowledgement,
  decodeMessage,
  encodeMessage,
  MessageType,
  openDataChannel,
  PayloadType,
  TERMINATE_SESSION_FLAG,
} from './ssm-protocol.ts';

export interface SessionOutcome {
  /** Null when the session ended without the marker (killed, agent gone). */
  readonly exitCode: number | null;
  readonly output: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly aborted: boolean;
}

/** Opens the session's WebSocket (injectable so tests point it at a fake agent). */
export type SocketFactory = (url: string) => WebSocket;

const defaultSocket: SocketFactory = (url) => new WebSocket(url);

/** The marker line the wrapper prints: `\n<marker><exit code>\n`. */
const markerPattern = (marker: string): RegExp => new RegExp(`\\r?\\n${marker}(\\d+)\\r?\\n?$`);

export const runSession = (options: {
  readonly streamUrl: string;
  readonly tokenValue: string;
  readonly marker: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly socket?: SocketFactory;
}): Promise<SessionOutcome> =>
  new Promise((resolve, reject) => {
    const ws = (options.socket ?? defaultSocket)(options.streamUrl);
    const output = new CappedBytes(MAX_EXEC_OUTPUT_BYTES, options.marker.length + 16);
    const pending = new Map<number, AgentMessage>();
    let expected = 0;
    let inputSequence = 0;
    let settled = false;
    let timedOut = false;
    let aborted = false;
    let handshakeDone = false;

    const send = (payloadType: number, payload: Buffer) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(
        encodeMessage({
          messageType: MessageType.InputStream,
          sequenceNumber: inputSequence++,
          flags: 0,
          payloadType,
          payload,
        }),
      );
    };
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // A close, not a terminate: the last acknowledgements still reach the agent.
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      if (error !== undefined && !handshakeDone) {
        reject(new ExecUnavailableError(error.message, { cause: error }));
        return;
      }
      resolve({ ...output.result(markerPattern(options.marker), timedOut || aborted), timedOut, aborted });
    };
    const stop = () => {
      // Ctrl-C to the command's terminal, then ask the agent to end the session.
      send(PayloadType.Output, Buffer.from('\u0003'));
      const flag = Buffer.alloc(4);
      flag.writeUInt32BE(TERMINATE_SESSION_FLAG);
      send(PayloadType.Flag, flag);
      setTimeout(() => finish(), 1_000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const handle = (message: AgentMessage) => {
      switch (message.payloadType) {
        case PayloadType.HandshakeRequest: {
          const request = JSON.parse(message.payload.toString('utf8')) as {
            RequestedClientActions?: { ActionType?: string }[];
          };
          const actions = request.RequestedClientActions ?? [];
          if (actions.some((a) => a.ActionType === 'KMSEncryption')) {
            finish(new Error('the session asks for KMS encryption, which this client does not speak'));
            return;
          }
          send(
            PayloadType.HandshakeResponse,
            Buffer.from(
              JSON.stringify({
                ClientVersion: '1.2.0.0',
                ProcessedClientActions: actions.map((a) => ({ ActionType: a.ActionType, ActionStatus: 1 })),
                Errors: [],
              }),
            ),
          );
          return;
        }
        case PayloadType.HandshakeComplete:
          handshakeDone = true;
          // A terminal size, as the plugin sends: some agents hold output until they have one.
          send(PayloadType.Size, Buffer.from(JSON.stringify({ cols: 500, rows: 100 })));
          return;
        case PayloadType.Output:
        case PayloadType.StdErr:
          output.push(message.payload);
          return;
        default:
          return;
      }
    };

    ws.on('open', () => ws.send(openDataChannel(options.tokenValue)));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      let message: AgentMessage;
      try {
        message = decodeMessage(data);
      } catch {
        return; // A corrupt frame is not acknowledged; the agent sends it again.
      }
      if (message.messageType === MessageType.ChannelClosed) {
        finish();
        return;
      }
      if (message.messageType !== MessageType.OutputStream) return;
      ws.send(acknowledgement(message));
      if (message.sequenceNumber < expected) return; // a resend of one already handled
      pending.set(message.sequenceNumber, message);
      for (let next = pending.get(expected); next !== undefined; next = pending.get(expected)) {
        pending.delete(expected);
        expected++;
        handle(next);
        if (settled) return;
      }
    });
    ws.on('error', (error) => finish(error));
    ws.on('close', () =>
      finish(handshakeDone ? undefined : new Error('the session closed before its handshake')),
    );
  });

/**
 * Keeps the first `max` bytes and, separately, the last `tail` bytes, so the marker at the end
 * is found however much the command wrote.
 */
class CappedBytes {
  readonly #max: number;
  readonly #tailSize: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail = Buffer.alloc(0);
  #total = 0;

  constructor(max: number, tail: number) {
    this.#max = max;
    this.#tailSize = tail;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    const room = this.#max + this.#tailSize - this.#headBytes;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.#head.push(kept);
      this.#headBytes += kept.length;
    }
    this.#tail = Buffer.concat([this.#tail, chunk]).subarray(-this.#tailSize);
  }

  result(marker: RegExp, killed: boolean): { exitCode: number | null; output: string; truncated: boolean } {
    const tailText = this.#tail.toString('latin1');
    const found = marker.exec(tailText);
    const markerBytes = found === null ? 0 : Buffer.byteLength(found[0], 'latin1');
    const outputBytes = this.#total - markerBytes;
    const head = Buffer.concat(this.#head).subarray(0, Math.min(outputBytes, this.#max));
    const exitCode = found === null ? (killed ? TIMED_OUT_EXIT_CODE : null) : Number(found[1]);
    return { exitCode, output: head.toString('utf8'), truncated: outputBytes > this.#max };
  }
}
