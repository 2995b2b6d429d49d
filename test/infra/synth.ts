/**
 * Builds the CDK app the way `cdk synth` does (the feature flags of `cdk.json`, the cdk-nag
 * pack) with the given context, and returns the templates. Without `bundle`, NodejsFunction
 * skips esbuild (CDK's own `aws:cdk:bundling-stacks` switch) and the asset is a placeholder:
 * the templates are the same but for asset hashes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import { buildApp, type TaskenvApp } from '#infra/app';

// An App without `outdir` writes its cloud assembly to a fresh `cdk.out*` under the OS temp dir
// and never removes it; these are this file's own, removed when the test file ends.
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

export interface Synthesized extends TaskenvApp {
  readonly dataTemplate: Template;
  readonly serviceTemplate: Template;
}

export const synthesize = (
  context: Readonly<Record<string, unknown>> = {},
  options: { readonly bundle?: boolean } = {},
): Synthesized => {
  const outdir = mkdtempSync(join(tmpdir(), 'taskenv-cdk-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      ...cdkJson.context,
      // Construct paths in the template metadata, as the CLI writes them: tests find resources by path.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const built = buildApp(app);
  return {
    ...built,
    dataTemplate: Template.fromStack(built.data),
    serviceTemplate: Template.fromStack(built.service),
  };
};
