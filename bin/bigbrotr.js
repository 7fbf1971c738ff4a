#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';

// Exit explicitly: the embedded server's exit hook would otherwise replace the exit code.
process.exit(await main(process.argv.slice(2)));
