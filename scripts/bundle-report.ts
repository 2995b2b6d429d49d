/**
 * Writes docs/bundle-sizes.md: each function's bundle as `cdk synth` left it in cdk.out.
 *
 *   npx cdk synth -q && npx tsx scripts/bundle-report.ts [--cdk-out cdk.out] [--out docs/bundle-sizes.md]
 *
 * Sizes: the minified ESM entry, its source map, files shipped beside it, and the deflated
 * total (close to what Lambda stores for the zip). Run it after changing imports: the cold start
 * of a function grows with what its entry pulls in.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { functionNames } from '#shared/routes';

const { values } = parseArgs({
  options: {
    'cdk-out': { type: 'string', default: 'cdk.out' },
    out: { type: 'string', default: 'docs/bundle-sizes.md' },
    stack: { type: 'string', default: 'TaskenvService' },
  },
});
const cdkOut = values['cdk-out'];
const stack = values.stack;

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
}

const templatePath = join(cdkOut, `${stack}.template.json`);
if (!existsSync(templatePath)) {
  throw new Error(`${templatePath} not found: run \`npx cdk synth -q\` first`);
}
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Resources: Record<string, TemplateResource>;
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

const rows = functionNames.map((name) => {
  const resource = Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      r.Metadata?.['aws:cdk:path'] === `${stack}/${name}/Function/Resource`,
  );
  const assetPath = resource?.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`No bundled asset for ${name} in ${templatePath}`);
  const dir = join(cdkOut, assetPath);
  const files = filesUnder(dir);
  const size = (file: string) => statSync(file).size;
  const entry = join(dir, 'index.mjs');
  const map = join(dir, 'index.mjs.map');
  const others = files.filter((f) => f !== entry && f !== map);
  const deflated = files.reduce((sum, f) => sum + deflateRawSync(readFileSync(f), { level: 9 }).length, 0);
  return {
    name,
    entry: size(entry),
    map: existsSync(map) ? size(map) : 0,
    others: others.reduce((sum, f) => sum + size(f), 0),
    otherNames: others.map((f) => relative(dir, f)),
    deflated,
  };
});

const lines = [
  '# Function bundle sizes',
  '',
  'Written by `npx tsx scripts/bundle-report.ts` from the assets of `npx cdk synth -q` (esbuild,',
  'minified ESM, AWS SDK bundled, `node24` target). `index.mjs` is what Node loads at a cold start;',
  'the source map is loaded with it, because the functions set `NODE_OPTIONS=--enable-source-maps` (about 5 ms of init for a 430 KiB bundle here; see benchmarks.md);',
  '"deflated" is the whole asset compressed, close to the zip Lambda stores.',
  '',
  '| function | index.mjs | index.mjs.map | other files | deflated total |',
  '|---|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${kib(r.entry)} | ${kib(r.map)} | ${r.others === 0 ? '–' : `${kib(r.others)} (${r.otherNames.join(', ')})`} | ${kib(r.deflated)} |`,
  ),
  '',
];
writeFileSync(values.out, lines.join('\n'));
process.stdout.write(`${values.out}: ${rows.length} functions\n`);
