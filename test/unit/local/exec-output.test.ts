import { describe, expect, it } from 'vitest';
import { CappedOutput } from '#adapters/local/exec-output';
import { MAX_EXEC_OUTPUT_BYTES } from '#ports/container-runtime';

describe('CappedOutput', () => {
  it('keeps chunks in the order they were written', () => {
    // Prepare
    const output = new CappedOutput();

    // Act
    output.write(Buffer.from('out 1\n'));
    output.write(Buffer.from('err 1\n'));
    output.write(Buffer.from('out 2\n'));

    // Assess
    expect(output.text()).toBe('out 1\nerr 1\nout 2\n');
    expect(output.truncated).toBe(false);
  });

  it('keeps the first MAX_EXEC_OUTPUT_BYTES bytes and says it dropped the rest', () => {
    // Prepare
    const output = new CappedOutput();

    // Act
    output.write(Buffer.alloc(MAX_EXEC_OUTPUT_BYTES - 2, 'a'));
    output.write(Buffer.from('bcdef'));
    output.write(Buffer.from('more'));

    // Assess
    const text = output.text();
    expect(Buffer.byteLength(text)).toBe(MAX_EXEC_OUTPUT_BYTES);
    expect(text.endsWith('aabc')).toBe(true);
    expect(output.truncated).toBe(true);
  });

  it('replaces invalid UTF-8 and drops a character the cap cut in half', () => {
    // Prepare
    const invalid = new CappedOutput();
    const cut = new CappedOutput(5);

    // Act
    invalid.write(Buffer.from([0x6f, 0x6b, 0xff, 0x21]));
    cut.write(Buffer.from('abcé', 'utf8').subarray(0, 4));
    cut.write(Buffer.from('€', 'utf8'));

    // Assess
    expect(invalid.text()).toBe('ok\uFFFD!');
    expect(cut.text()).toBe('abc\uFFFD');
    expect(cut.truncated).toBe(true);
  });

  it('ends a truncated output on a whole character', () => {
    // Prepare
    const output = new CappedOutput(4);

    // Act
    output.write(Buffer.from('ab€', 'utf8'));

    // Assess
    expect(output.text()).toBe('ab');
    expect(output.truncated).toBe(true);
  });
});
