/**
 * The env file format ECS reads (`shared/domain/env-file.ts`): what a sandbox's process gets as
 * its environment from the variables taskenv writes, and what a file read back yields.
 */
import { describe, expect, it } from 'vitest';
import { parseEnvFile, renderEnvFile } from '#domain/env-file';

describe('renderEnvFile', () => {
  it('writes one NAME=value line per variable, sorted by name (code units), values verbatim', () => {
    expect(renderEnvFile({ b_2: 'x=y z', A: '', _a: 'it\'s "quoted"' })).toBe(
      'A=\n_a=it\'s "quoted"\nb_2=x=y z\n',
    );
    expect(renderEnvFile({})).toBe('');
  });

  it('refuses a name that is not an identifier', () => {
    expect(() => renderEnvFile({ '1X': 'v' })).toThrow(
      "Env file variable name '1X' is not a valid identifier",
    );
    expect(() => renderEnvFile({ 'A-B': 'v' })).toThrow(
      "Env file variable name 'A-B' is not a valid identifier",
    );
    expect(() => renderEnvFile({ 'A B': 'v' })).toThrow(
      "Env file variable name 'A B' is not a valid identifier",
    );
  });

  it('refuses a value with a line break, naming the variable but not the value', () => {
    for (const value of ['one\ntwo', 'one\rtwo']) {
      let message = '';
      try {
        renderEnvFile({ TOKEN: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        "Env file variable 'TOKEN' contains a line break, which the env file format cannot hold",
      );
    }
  });
});

describe('parseEnvFile', () => {
  it('splits each line at its first =, keeps the value verbatim, skips blank lines and comments', () => {
    expect(parseEnvFile('A=1\n\n   \n# comment\nB=x=y \nC=\n', 'env.txt')).toEqual({
      A: '1',
      B: 'x=y ',
      C: '',
    });
  });

  it('reads back what renderEnvFile wrote', () => {
    const variables = { A: 'x=y', B: ' spaced ', C: '#not a comment' };
    expect(parseEnvFile(renderEnvFile(variables), 'f')).toEqual(variables);
  });

  it('refuses a line without a name before =, saying where but not what', () => {
    expect(() => parseEnvFile('A=1\nsecret-value\n', 's3://bucket/env')).toThrow(
      'Env file s3://bucket/env has a line without NAME=value',
    );
    expect(() => parseEnvFile('=value\n', 'f')).toThrow('Env file f has a line without NAME=value');
  });
});
