import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configKeys, parseConfig } from '#infra/config';

describe('deployment configuration', () => {
  it('defaults to a public, retained, closed deployment', () => {
    // Act
    const config = parseConfig({});

    // Assess
    expect(config).toEqual({
      urlMode: 'public',
      vpcId: undefined,
      allowedCidrs: [],
      taskPorts: [{ from: 1, to: 65535 }],
      waf: false,
      wafRateLimit: 2000,
      removalPolicy: 'retain',
      minClientVersion: undefined,
      tracing: false,
      logRetentionDays: 30,
      throttleRateLimit: 100,
      throttleBurstLimit: 200,
      authorizerCacheTtlSeconds: 300,
      apiGatewayCloudWatchRole: true,
      secretsPrefix: 'taskenv',
      alarmTopicArn: undefined,
    });
  });

  it('reads `-c key=value` strings the same as cdk.json values', () => {
    // Arrange
    const fromCli = {
      urlMode: 'private',
      vpcId: 'vpc-0abc123',
      allowedCidrs: '203.0.113.0/24, 2001:db8::/32',
      taskPorts: '80,8000-8999',
      waf: 'true',
      wafRateLimit: '500',
      tracing: 'false',
      logRetentionDays: '90',
    };
    const fromJson = {
      urlMode: 'private',
      vpcId: 'vpc-0abc123',
      allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      taskPorts: ['80', '8000-8999'],
      waf: true,
      wafRateLimit: 500,
      tracing: false,
      logRetentionDays: 90,
    };

    // Act & Assess
    expect(parseConfig(fromCli)).toEqual(parseConfig(fromJson));
    expect(parseConfig(fromCli)).toMatchObject({
      allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      taskPorts: [
        { from: 80, to: 80 },
        { from: 8000, to: 8999 },
      ],
      waf: true,
    });
  });

  it('ignores context keys it does not own (CDK feature flags)', () => {
    expect(parseConfig({ '@aws-cdk/core:target-partitions': ['aws'] }).urlMode).toBe('public');
  });

  it.each([
    ['urlMode', 'internal'],
    ['vpcId', 'my-vpc'],
    ['allowedCidrs', '203.0.113.7'],
    ['allowedCidrs', '300.0.0.0/8'],
    ['taskPorts', '0-80'],
    ['taskPorts', '9000-8000'],
    ['waf', 'yes'],
    ['removalPolicy', 'snapshot'],
    ['logRetentionDays', '10'],
    ['minClientVersion', 'latest'],
    ['alarmTopicArn', 'ops-topic'],
    ['secretsPrefix', 'bad prefix'],
  ])('refuses %s=%s, naming the key', (key, value) => {
    expect(() => parseConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [key]: value })).toThrow(new RegExp(`\\b${key}\\b`));
  });

  it('names every invalid key at once', () => {
    expect(() => parseConfig({ urlMode: 'x', waf: 'maybe' })).toThrow(/urlMode[\s\S]*waf/);
  });

  it('refuses a burst below the steady rate', () => {
    expect(() => parseConfig({ throttleRateLimit: '100', throttleBurstLimit: '50' })).toThrow(
      /throttleBurstLimit/,
    );
  });

  it('documents every key in docs/deploy.md', () => {
    const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    for (const key of configKeys) expect(doc, key).toContain(`\`${key}\``);
  });
});
