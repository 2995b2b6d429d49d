#!/usr/bin/env node
// The CLI compiled by `npm run build` (run by `npm ci` and `npm pack`): plain JavaScript, no loader.
import { main } from '../dist/cli.js';

process.exit(await main(process.argv.slice(2)));
