/** The CLI run from source (tests spawn it as a real process to kill it, signal it, restart it). */
import { installProcessGuards } from '../cli/guard.js';
import { tuneHeap } from '../cli/heap.js';
import { main } from '../cli/main.js';

installProcessGuards();
tuneHeap();
process.exit(await main(process.argv.slice(2)));
