/** Writes the OpenAPI document generated from the route table (`npm run openapi [file]`), for linting and clients. */
import { writeFile } from 'node:fs/promises';
import { openApiDocument } from '#shared/openapi';

const [file = 'openapi.json'] = process.argv.slice(2);
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8'))) as {
  version: string;
};
await writeFile(file, `${JSON.stringify(openApiDocument('http://127.0.0.1:8787', pkg.version), null, 2)}\n`);
console.log(`wrote ${file}`);
