import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { booleanFlag, ConfigError, commaList, parseConfig } from '#shared/config';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  URL_MODE: z.enum(['public', 'private']),
  SUBNETS: commaList(),
  ASSIGN_PUBLIC_IP: booleanFlag(),
});

const complete = {
  TABLE_NAME: 'taskenv',
  EVENT_BUS_NAME: 'taskenv-bus',
  URL_MODE: 'public',
  SUBNETS: 'subnet-a, subnet-b,',
  ASSIGN_PUBLIC_IP: 'true',
};

describe('parseConfig', () => {
  it('parses and converts a complete environment', () => {
    // Act
    const config = parseConfig(schema, { ...complete, PATH: '/usr/bin' });

    // Assess
    expect(config).toEqual({
      TABLE_NAME: 'taskenv',
      EVENT_BUS_NAME: 'taskenv-bus',
      URL_MODE: 'public',
      SUBNETS: ['subnet-a', 'subnet-b'],
      ASSIGN_PUBLIC_IP: true,
    });
  });

  it('names every missing variable, empty ones included, in one error', () => {
    // Prepare
    const { TABLE_NAME: _table, EVENT_BUS_NAME: _bus, ...rest } = complete;

    // Act
    const parsing = () => parseConfig(schema, { ...rest, EVENT_BUS_NAME: '' });

    // Assess
    expect(parsing).toThrow(ConfigError);
    expect(parsing).toThrow('Configuration error: missing EVENT_BUS_NAME, TABLE_NAME');
  });

  it('names invalid variables with the reason but never their values', () => {
    // Act
    let error: unknown;
    try {
      parseConfig(schema, { ...complete, URL_MODE: 'secret-mode', ASSIGN_PUBLIC_IP: 'yes', SUBNETS: ' , ' });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.missing).toEqual([]);
    expect(configError.invalid.map((entry) => entry.split(':')[0])).toEqual([
      'URL_MODE',
      'SUBNETS',
      'ASSIGN_PUBLIC_IP',
    ]);
    expect(configError.message).not.toContain('secret-mode');
  });
});
