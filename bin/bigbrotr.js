#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci` through `prepare`).
import { installProcessGuards } from '../dist/cli/guard.js';
import { tuneHeap } from '../dist/cli/heap.js';
import { main } from '../dist/cli/main.js';

installProcessGuards();
tuneHeap();
// Exit explicitly, with main's code.
process.exit(await main(process.argv.slice(2)));
