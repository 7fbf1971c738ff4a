/**
 * The process guard of the CLI's entry points (bin/bigbrotr.js and the tests' source entry): an uncaught
 * exception ends the process as Node would (stack on stderr, exit 1), its text redacted first so a connection
 * URL in a message never reaches the terminal or a log collector with its password.
 *
 * No exception is swallowed here. postgres.js 3.4.9's write on a closed connection (`Cannot read properties of
 * null (reading 'write')`, thrown from a `setImmediate` after PostgreSQL restarts) is fixed at its source by
 * patches/postgres+3.4.9.patch; the README's paragraph on the patch says why that is enough for BigBrotr.
 */
import { redactText } from '../core/redact.js';
import { println } from './io.js';

/** Install the guard once per process. */
export function installProcessGuards(): void {
  process.on('uncaughtException', (err) => {
    println(process.stderr, redactText(String((err as Error)?.stack ?? err)));
    process.exit(1);
  });
}
