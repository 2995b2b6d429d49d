/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`): the data stack and the service stack,
 * configured from the CDK context (see `infra/config.ts` and `docs/deploy.md`), checked by
 * cdk-nag's AwsSolutions pack.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App, type Environment, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext, logRetentionOf, type TaskenvConfig } from './config.ts';
import { DataStack } from './stacks/data-stack.ts';
import { ServiceStack } from './stacks/service-stack.ts';

export interface TaskenvApp {
  readonly app: App;
  readonly config: TaskenvConfig;
  readonly data: DataStack;
  readonly service: ServiceStack;
}

const packageVersion = (): string => {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return typeof manifest === 'object' &&
    manifest !== null &&
    'version' in manifest &&
    typeof manifest.version === 'string'
    ? manifest.version
    : '0.0.0';
};

/**
 * Builds the app. `env` defaults to the CLI's account and region when it has credentials, and
 * to an environment-agnostic synth without (offline); a `vpcId` lookup needs both.
 */
export const buildApp = (app: App = new App()): TaskenvApp => {
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const env: Environment = {
    ...(account === undefined ? {} : { account }),
    ...(region === undefined ? {} : { region }),
  };

  const data = new DataStack(app, 'TaskenvData', {
    env,
    description: 'taskenv: table, idempotency table, env-file bucket and key, image repository (stateful)',
    removalPolicy: config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: logRetentionOf(config),
  });
  const service = new ServiceStack(app, 'TaskenvService', {
    env,
    description: 'taskenv: sandbox cluster, functions, API, lifecycle and dashboard (stateless)',
    config,
    data: data.resources,
    version: packageVersion(),
  });
  service.addStackDependency(data);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, data, service };
};

// Run by the CDK CLI (`cdk.json`); imported by the tests, which build their own App.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  buildApp().app.synth();
}
