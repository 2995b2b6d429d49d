/**
 * The Engine API's multiplexed stream (no TTY: 8-byte frame headers, stdout and stderr
 * interleaved) and its timestamped log lines.
 */
import type { LogLine } from '#ports/container-runtime';

const HEADER_BYTES = 8;

/**
 * Feeds the payload of every frame to `onPayload`, in arrival order, whichever stream it
 * belongs to. Frames may be split across chunks or several may share one: the decoder keeps
 * the remainder between calls.
 */
export const frameDecoder = (onPayload: (payload: Buffer) => void): ((chunk: Buffer) => void) => {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_BYTES) {
      const size = pending.readUInt32BE(4);
      if (pending.length < HEADER_BYTES + size) break;
      onPayload(pending.subarray(HEADER_BYTES, HEADER_BYTES + size));
      pending = pending.subarray(HEADER_BYTES + size);
    }
  };
};

/** The payloads of a whole multiplexed buffer, concatenated. */
export const demultiplexed = (buffer: Buffer): Buffer => {
  const parts: Buffer[] = [];
  frameDecoder((payload) => parts.push(payload))(buffer);
  return Buffer.concat(parts);
};

/** `2026-01-02T03:04:05.123456789Z message` (what `timestamps: true` writes) as a {@link LogLine}. */
const parseLine = (line: string): LogLine => {
  const space = line.indexOf(' ');
  const stamp = space < 0 ? line : line.slice(0, space);
  // RFC 3339 with nanoseconds: Date keeps milliseconds.
  const millis = Date.parse(stamp.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  return Number.isNaN(millis)
    ? { time: new Date(0).toISOString(), message: line }
    : { time: new Date(millis).toISOString(), message: space < 0 ? '' : line.slice(space + 1) };
};

/**
 * Timestamped log text as lines in time order (the engine copies stdout and stderr separately,
 * so its order across the two may differ), the last `tail` of them; `truncated` when there were more.
 */
export const timestampedLines = (text: string, tail: number): { lines: LogLine[]; truncated: boolean } => {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  const lines = all.map(parseLine).sort((a, b) => a.time.localeCompare(b.time));
  const kept = lines.slice(-tail);
  return { lines: kept, truncated: lines.length > kept.length };
};
