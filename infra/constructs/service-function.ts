import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName } from '#shared/routes';
import type { Bindings } from '#shared/wiring/functions';
import { type BindingResources, grantBindings } from './grants/index.ts';
import { acknowledgeWildcard } from './nag.ts';

/** The repository root: entries are `functions/<name>.ts`, the lock file sits here. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundled CommonJS code calls `require` for Node built-ins; an ES module has none, so the
 * bundle defines one (esbuild's own shim throws "Dynamic require … is not supported").
 */
const ESM_REQUIRE_BANNER =
  "import{createRequire as __taskenvCreateRequire}from'node:module';const require=__taskenvCreateRequire(import.meta.url);";

/** A file copied next to the bundle after esbuild ran. */
export interface BundledFile {
  /** Path relative to the repository root (`node_modules/swagger-ui-dist/swagger-ui.css`). */
  readonly source: string;
  /** Path relative to the bundle directory (`docs/swagger-ui.css`). */
  readonly target: string;
}

export interface ServiceFunctionProps {
  /** The entry `functions/<name>.ts`. */
  readonly name: FunctionName;
  /** Shown in the console; says what the function is for. */
  readonly description: string;
  /**
   * Memory in MB. CPU share grows with it, and so does cold-start speed.
   * @default 1024
   */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /**
   * Active X-Ray tracing.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What `cdk destroy` does with the log group.
   * @default RemovalPolicy.RETAIN (CDK's default for log groups)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Variables that are not bindings (bindings set their own through {@link ServiceFunction.wire}).
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Files the entry reads at run time, copied into the bundle.
   * @default none
   */
  readonly bundledFiles?: readonly BundledFile[];
  /**
   * Reserved concurrency: 1 makes the function's runs serial (the pool keeper).
   * @default none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
}

/**
 * A Lambda function built from `functions/<name>.ts` with every default in one place: the
 * latest Node.js runtime CDK offers, arm64, minified ESM with source maps and the AWS SDK
 * bundled (one pinned SDK, and a smaller cold start than the runtime's full copy), its own log
 * group with a retention, and a role that may only write that log group until {@link wire}
 * grants the function's declared bindings. Each binding grants exactly what the adapter behind
 * it calls and sets the variables the entry's config schema reads, together, so the two cannot
 * drift apart.
 */
export class ServiceFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly name: FunctionName;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.name = props.name;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      ...(props.logRemovalPolicy === undefined ? {} : { removalPolicy: props.logRemovalPolicy }),
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: that one may write
    // to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `taskenv ${props.name} function`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const files = props.bundledFiles ?? [];
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/${props.name}.ts`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing === true ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: {
        // Stack traces through the bundled source map instead of minified names.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        // ESM builds of the SDK, middy and Powertools: smaller bundles, better tree shaking.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Stack traces need names and lines, not the sources: keeps the asset small.
        sourcesContent: false,
        // Bundle the AWS SDK too (CDK leaves `@aws-sdk/*` out by default).
        externalModules: [],
        banner: ESM_REQUIRE_BANNER,
        forceDockerBundling: false,
        ...(files.length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  copyCommands(files, inputDir, outputDir),
              },
            }),
      },
    });

    if (props.tracing === true) {
      acknowledgeWildcard(
        this.role,
        '*',
        'X-Ray: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permission.',
      );
    }
  }

  /** Sets one variable of the entry's configuration. */
  addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Adds a statement to the function's own policy. A statement whose resources hold a wildcard
   * says why in `wildcardReason` (it becomes the cdk-nag acknowledgement of that resource).
   */
  addToPolicy(statement: iam.PolicyStatement, wildcardReason?: string): this {
    this.role.addToPrincipalPolicy(statement);
    for (const resource of statement.resources) {
      if (!resource.includes('*')) continue;
      if (wildcardReason === undefined) {
        throw new Error(`${this.node.path}: a wildcard resource needs a reason (${resource})`);
      }
      acknowledgeWildcard(this.role, resource, wildcardReason);
    }
    return this;
  }

  /**
   * Grants what `bindings` declares (`shared/wiring/functions.ts`), through the grant module of
   * each AWS service, and sets the variables the entry's config schema reads from them.
   */
  wire(bindings: Bindings, resources: BindingResources): this {
    for (const [name, value] of Object.entries(grantBindings(this, bindings, resources))) {
      this.addEnvironment(name, value);
    }
    return this;
  }
}

const copyCommands = (files: readonly BundledFile[], inputDir: string, outputDir: string): string[] => {
  const dirs = [
    ...new Set(files.map((f) => f.target.split('/').slice(0, -1).join('/')).filter((d) => d !== '')),
  ];
  return [
    ...dirs.map((dir) => `mkdir -p "${outputDir}/${dir}"`),
    ...files.map((f) => `cp "${inputDir}/${f.source}" "${outputDir}/${f.target}"`),
  ];
};
