/**
 * The esbuild options of the deployed functions, mirrored from `infra/constructs/service-function.ts`
 * (the `bundling` of its `NodejsFunction`, which CDK turns into an esbuild command line). The
 * construct imports aws-cdk-lib, so the benchmark cannot load it; keep the two in step.
 */
import type { BuildOptions } from 'esbuild';

/** `ESM_REQUIRE_BANNER` of the construct, byte for byte. */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __taskenvCreateRequire}from'node:module';const require=__taskenvCreateRequire(import.meta.url);";

/**
 * The construct's `NODE_OPTIONS`: stack traces through the source map. Node then reads and
 * parses the `.map` while loading the bundle, so it is part of module init.
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** `runtime: NODEJS_24_X` and `target: 'node24'` in the construct. */
export const LAMBDA_TARGET = 'node24';

/**
 * What `NodejsFunction` passes to esbuild for a ServiceFunction: `--bundle`, `--platform=node`,
 * `--format=esm`, `--target=node24`, `--main-fields=module,main`, `--minify`, `--sourcemap`,
 * `--sources-content=false`, no externals (the SDK is bundled) and the `createRequire` banner.
 */
export const serviceFunctionBuildOptions = (input: {
  readonly projectRoot: string;
  readonly outfile: string;
}): BuildOptions => ({
  absWorkingDir: input.projectRoot,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: LAMBDA_TARGET,
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  banner: { js: ESM_REQUIRE_BANNER },
  outfile: input.outfile,
  metafile: true,
  logLevel: 'silent',
});
