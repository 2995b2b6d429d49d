import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseInputs, parseInputValue, parseInteger, parseSeconds, UsageError } from '#cli/args';

describe('parseInputValue', () => {
  it.each([
    ['3', 3],
    ['-1.5', -1.5],
    ['true', true],
    ['false', false],
    ['abc', 'abc'],
    ['"3"', '3'],
    ['01234', '01234'],
    ['', ''],
    ['hello world', 'hello world'],
  ])('reads %j as %j', (raw, expected) => {
    // Act
    const value = parseInputValue(raw);

    // Assess
    expect(value).toStrictEqual(expected);
  });
});

describe('parseInputs', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taskenv-args-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('types each value and keeps everything after the first =', async () => {
    // Act
    const inputs = await parseInputs(['n=3', 's=abc', 'b=true', 'q=a=b'], dir);

    // Assess
    expect(inputs).toStrictEqual({ n: 3, s: 'abc', b: true, q: 'a=b' });
  });

  it('reads k=@file as the text of the file, relative to the working directory', async () => {
    // Prepare
    await writeFile(join(dir, 'notes.txt'), '42\n');

    // Act
    const inputs = await parseInputs(['notes=@notes.txt'], dir);

    // Assess
    expect(inputs).toStrictEqual({ notes: '42\n' });
  });

  it('is undefined without any --input, so the request leaves `inputs` out', async () => {
    // Act
    const inputs = await parseInputs([], dir);

    // Assess
    expect(inputs).toBeUndefined();
  });

  it.each([['novalue'], ['=x']])('refuses %j as a usage error', async (assignment) => {
    // Act
    const parse = parseInputs([assignment], dir);

    // Assess
    await expect(parse).rejects.toThrow(UsageError);
  });

  it('refuses a key given twice', async () => {
    // Act
    const parse = parseInputs(['a=1', 'a=2'], dir);

    // Assess
    await expect(parse).rejects.toThrow(/more than once/);
  });
});

describe('number options', () => {
  it('accepts whole numbers within bounds and refuses the rest', () => {
    // Act
    const ok = parseInteger('limit', '200', 1, 200);
    const tooBig = () => parseInteger('limit', '201', 1, 200);
    const fraction = () => parseInteger('timeout-sec', '1.5', 1);

    // Assess
    expect(ok).toBe(200);
    expect(tooBig).toThrow(/--limit must be a whole number between 1 and 200/);
    expect(fraction).toThrow(UsageError);
  });

  it('accepts fractional positive seconds for --wait-timeout', () => {
    // Act
    const half = parseSeconds('wait-timeout', '0.5');
    const zero = () => parseSeconds('wait-timeout', '0');

    // Assess
    expect(half).toBe(0.5);
    expect(zero).toThrow(UsageError);
  });
});
