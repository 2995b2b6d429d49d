import { describe, expect, it } from 'vitest';
import { demultiplexed, frameDecoder, timestampedLines } from '#adapters/local/docker-streams';

/** One Engine API frame: stream type (1 stdout, 2 stderr), three zero bytes, the size, the payload. */
const frame = (stream: 1 | 2, text: string): Buffer => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('frameDecoder', () => {
  it('hands out payloads in arrival order, whatever the chunking', () => {
    // Prepare
    const wire = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    const payloads: string[] = [];
    const decode = frameDecoder((payload) => payloads.push(payload.toString()));

    // Act: split inside a header and inside a payload.
    decode(wire.subarray(0, 3));
    decode(wire.subarray(3, 20));
    decode(wire.subarray(20));

    // Assess
    expect(payloads).toEqual(['out 1\n', 'err 1\n', 'out 2\n']);
    expect(demultiplexed(wire).toString()).toBe('out 1\nerr 1\nout 2\n');
  });
});

describe('timestampedLines', () => {
  it('reads RFC 3339 nano timestamps, orders by time and keeps the tail', () => {
    // Prepare
    const text = [
      '2026-12-01T21:00:00.000000001Z first',
      '2026-12-01T21:00:02.500000000Z third',
      '2026-12-01T21:00:01.123456789Z second line',
      '',
    ].join('\n');

    // Act
    const all = timestampedLines(text, 10);
    const tail = timestampedLines(text, 1);

    // Assess
    expect(all).toEqual({
      lines: [
        { time: '2026-12-01T21:00:00.000Z', message: 'first' },
        { time: '2026-12-01T21:00:01.123Z', message: 'second line' },
        { time: '2026-12-01T21:00:02.500Z', message: 'third' },
      ],
      truncated: false,
    });
    expect(tail).toEqual({
      lines: [{ time: '2026-12-01T21:00:02.500Z', message: 'third' }],
      truncated: true,
    });
  });
});
