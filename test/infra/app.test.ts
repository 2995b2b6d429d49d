import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functionNames } from '#shared/routes';
import { type Synthesized, synthesize } from './synth.ts';
import { resourceAt, variablesOf } from './template.ts';

/** Placeholder values for a function's variables, so its bundle can run its cold-start code. */
const placeholder = (key: string): string =>
  ({ ASSIGN_PUBLIC_IP: 'true', URL_MODE: 'public', SUBNETS: 'subnet-1', SECURITY_GROUPS: 'sg-1' })[key] ??
  `test-${key}`;

describe('the app, bundled with esbuild as `cdk synth` does', () => {
  let app: Synthesized;
  const assetDir = (name: FunctionName): string => {
    const fn = resourceAt(app.serviceTemplate, `TaskenvService/${name}/Function/Resource`);
    return join(app.app.outdir, String(fn.Metadata?.['aws:asset:path']));
  };

  beforeAll(() => {
    app = synthesize({}, { bundle: true });
  }, 300_000);

  it.each(functionNames)('bundles %s as minified ESM with its source map and the AWS SDK inside', (name) => {
    // Arrange
    const dir = assetDir(name);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');

    // Assess
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    expect(code).toMatch(/^import\{createRequire as \w+\}from'node:module';const require=/);
    // `…}from"x"`, `import"x"` and `import("x")`: only Node built-ins stay outside the bundle.
    const imported = [
      ...code.matchAll(/(?:^|[}\s])from\s*["']([^"']+)["']|(?:^|[;}])import\s*\(?\s*["']([^"']+)["']/gm),
    ].map((m) => m[1] ?? m[2] ?? '');
    expect(imported.length).toBeGreaterThan(0);
    const external = imported.filter(
      (specifier) => !builtinModules.includes(specifier.replace(/^node:/, '')),
    );
    expect(external).toEqual([]);
    // Minified: a few very long lines (template literals keep their own line breaks).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
  });

  it.each(functionNames)('loads %s on Node as an ES module and exports its handler', (name) => {
    // Arrange
    const fn = resourceAt(app.serviceTemplate, `TaskenvService/${name}/Function/Resource`);
    const variables = variablesOf(fn);
    const env = Object.fromEntries(Object.keys(variables).map((key) => [key, placeholder(key)]));

    // Act
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(assetDir(name), 'index.mjs'))}); process.stdout.write(typeof m.handler);`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
          NODE_OPTIONS: '',
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );

    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('function');
  });

  it('ships swagger-ui next to the meta function for /docs', () => {
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
      const shipped = readFileSync(join(assetDir('meta'), 'docs', file));
      const source = readFileSync(new URL(`../../node_modules/swagger-ui-dist/${file}`, import.meta.url));
      expect(shipped.equals(source), file).toBe(true);
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  // A synth throws ("Validation failed") on any unacknowledged AwsSolutions error.
  it.each([
    ['every option at its default', {}],
    [
      'every option turned on',
      {
        waf: 'true',
        tracing: 'true',
        removalPolicy: 'destroy',
        allowedCidrs: '0.0.0.0/0,::/0',
        taskPorts: '80,443,8000-8999',
        minClientVersion: '1.0.0',
        alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
        apiGatewayCloudWatchRole: 'false',
        logRetentionDays: '90',
      },
    ],
    ['private URL mode', { urlMode: 'private' }],
  ])('raises no error with %s', (_, context) => {
    expect(() => synthesize(context)).not.toThrow();
  });
});
