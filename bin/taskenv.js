#!/usr/bin/env node
// The CLI is TypeScript run in place (no build step), so tsx's loader is registered before it loads.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exit(await main(process.argv.slice(2)));
