/** The size rule of an environment record (`shared/domain/environment.ts`, `MAX_RECORD_BYTES`). */
import { describe, expect, it } from 'vitest';
import { recordBytesWhenReady } from '#domain/environment';
import { makeEnvironment } from '#test/support/factories';

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('recordBytesWhenReady', () => {
  it('adds room for the rendered instruction while only the template is kept', () => {
    const record = makeEnvironment({
      instruction: null,
      instructionTemplate: 'Open {{ web_url }} — ünïcødé',
    });
    expect(recordBytesWhenReady(record, 1000)).toBe(bytesOf(record) + 1000);
  });

  it('counts the record as it is once the instruction is rendered, or when there is none to render', () => {
    const rendered = makeEnvironment({
      instruction: 'Open http://x',
      instructionTemplate: 'Open {{ web_url }}',
    });
    expect(recordBytesWhenReady(rendered, 1000)).toBe(bytesOf(rendered));
    const none = makeEnvironment({ instruction: null, instructionTemplate: null });
    expect(recordBytesWhenReady(none, 1000)).toBe(bytesOf(none));
  });
});
