/**
 * The framing of the SSM Session Manager data channel (what `session-manager-plugin` speaks to
 * the agent over the session's WebSocket), as far as running one command needs it. Written
 * from the protocol's public description; it has not been run against a real agent (see
 * `docs/exec.md`).
 *
 * A binary frame is one message: a fixed header, then the payload.
 *
 * | field           | bytes | notes                                               |
 * | --------------- | ----- | --------------------------------------------------- |
 * | header length   | 4     | uint32, the header's length after this field (116)  |
 * | message type    | 32    | ASCII, right-padded with spaces                     |
 * | schema version  | 4     | uint32, 1                                           |
 * | created date    | 8     | uint64, ms since the epoch                          |
 * | sequence number | 8     | int64                                               |
 * | flags           | 8     | uint64                                              |
 * | message id      | 16    | UUID, its low 8 bytes first, then its high 8 bytes  |
 * | payload digest  | 32    | SHA-256 of the payload                              |
 * | payload type    | 4     | uint32 ({@link PayloadType})                        |
 * | payload length  | 4     | uint32                                              |
 */
import { createHash, randomUUID } from 'node:crypto';

export const MessageType = {
  InputStream: 'input_stream_data',
  OutputStream: 'output_stream_data',
  Acknowledge: 'acknowledge',
  ChannelClosed: 'channel_closed',
  StartPublication: 'start_publication',
  PausePublication: 'pause_publication',
} as const;

export const PayloadType = {
  Undefined: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;

/** Payload of a `Flag` message asking the agent to end the session. */
export const TERMINATE_SESSION_FLAG = 2;

const HEADER_LENGTH = 116;
const MESSAGE_TYPE_BYTES = 32;
const OFFSETS = {
  messageType: 4,
  schemaVersion: 36,
  createdDate: 40,
  sequenceNumber: 48,
  flags: 56,
  messageId: 64,
  payloadDigest: 80,
  payloadType: 112,
  payloadLength: 116,
  payload: 120,
} as const;

export interface AgentMessage {
  readonly messageType: string;
  readonly schemaVersion: number;
  readonly createdDate: number;
  readonly sequenceNumber: number;
  readonly flags: number;
  readonly messageId: string;
  readonly payloadType: number;
  readonly payload: Buffer;
}

/** Thrown for a frame that is not a well-formed message (short, bad length or digest). */
class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

const uuidBytes = (uuid: string): Buffer => Buffer.from(uuid.replaceAll('-', ''), 'hex');

const uuidText = (bytes: Buffer): string => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export const encodeMessage = (
  message: Omit<AgentMessage, 'schemaVersion' | 'createdDate' | 'messageId'> &
    Partial<Pick<AgentMessage, 'schemaVersion' | 'createdDate' | 'messageId'>>,
): Buffer => {
  const frame = Buffer.alloc(OFFSETS.payload + message.payload.length);
  frame.writeUInt32BE(HEADER_LENGTH, 0);
  frame.fill(' ', OFFSETS.messageType, OFFSETS.messageType + MESSAGE_TYPE_BYTES);
  frame.write(message.messageType, OFFSETS.messageType, MESSAGE_TYPE_BYTES, 'ascii');
  frame.writeUInt32BE(message.schemaVersion ?? 1, OFFSETS.schemaVersion);
  frame.writeBigUInt64BE(BigInt(message.createdDate ?? Date.now()), OFFSETS.createdDate);
  frame.writeBigInt64BE(BigInt(message.sequenceNumber), OFFSETS.sequenceNumber);
  frame.writeBigUInt64BE(BigInt(message.flags), OFFSETS.flags);
  const id = uuidBytes(message.messageId ?? randomUUID());
  id.copy(frame, OFFSETS.messageId, 8, 16);
  id.copy(frame, OFFSETS.messageId + 8, 0, 8);
  createHash('sha256').update(message.payload).digest().copy(frame, OFFSETS.payloadDigest);
  frame.writeUInt32BE(message.payloadType, OFFSETS.payloadType);
  frame.writeUInt32BE(message.payload.length, OFFSETS.payloadLength);
  message.payload.copy(frame, OFFSETS.payload);
  return frame;
};

export const decodeMessage = (frame: Buffer): AgentMessage => {
  if (frame.length < OFFSETS.payload)
    throw new MalformedMessageError(`Frame of ${frame.length} bytes is too short`);
  const headerLength = frame.readUInt32BE(0);
  const payloadStart = headerLength + 4;
  if (payloadStart < OFFSETS.payload || payloadStart > frame.length) {
    throw new MalformedMessageError(`Header length ${headerLength} does not fit the frame`);
  }
  const payloadLength = frame.readUInt32BE(OFFSETS.payloadLength);
  if (payloadStart + payloadLength > frame.length) {
    throw new MalformedMessageError('Payload length runs past the frame');
  }
  const payload = frame.subarray(payloadStart, payloadStart + payloadLength);
  const digest = frame.subarray(OFFSETS.payloadDigest, OFFSETS.payloadDigest + 32);
  if (!createHash('sha256').update(payload).digest().equals(digest)) {
    throw new MalformedMessageError('Payload digest does not match');
  }
  const id = Buffer.concat([
    frame.subarray(OFFSETS.messageId + 8, OFFSETS.messageId + 16),
    frame.subarray(OFFSETS.messageId, OFFSETS.messageId + 8),
  ]);
  return {
    messageType: frame
      .toString('ascii', OFFSETS.messageType, OFFSETS.messageType + MESSAGE_TYPE_BYTES)
      .replace(/[\s\0]+$/, ''),
    schemaVersion: frame.readUInt32BE(OFFSETS.schemaVersion),
    createdDate: Number(frame.readBigUInt64BE(OFFSETS.createdDate)),
    sequenceNumber: Number(frame.readBigInt64BE(OFFSETS.sequenceNumber)),
    flags: Number(frame.readBigUInt64BE(OFFSETS.flags)),
    messageId: uuidText(id),
    payloadType: frame.readUInt32BE(OFFSETS.payloadType),
    payload: Buffer.from(payload),
  };
};

/** The acknowledgement of `message`, which the agent waits for before it sends on. */
export const acknowledgement = (message: AgentMessage): Buffer =>
  encodeMessage({
    messageType: MessageType.Acknowledge,
    sequenceNumber: 0,
    flags: 3,
    payloadType: PayloadType.Undefined,
    payload: Buffer.from(
      JSON.stringify({
        AcknowledgedMessageType: message.messageType,
        AcknowledgedMessageId: message.messageId,
        AcknowledgedMessageSequenceNumber: message.sequenceNumber,
        IsSequentialMessage: true,
      }),
    ),
  });

/** The text frame that opens the data channel with the session's token. */
export const openDataChannel = (tokenValue: string): string =>
  JSON.stringify({
    MessageSchemaVersion: '1.0',
    RequestId: randomUUID(),
    TokenValue: tokenValue,
    ClientId: randomUUID(),
    ClientVersion: '1.2.0.0',
  });
