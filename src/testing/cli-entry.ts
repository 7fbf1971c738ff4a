/** The CLI run from source (tests spawn it as a real process to kill it, signal it, restart it). */
import { main } from '../cli/main.js';

process.exit(await main(process.argv.slice(2)));
