/**
 * Process guards of the CLI's entry points (bin/bigbrotr.js and the tests' source entry).
 *
 * postgres.js 3.4.9 can throw from a `setImmediate` after a connection to a restarting server has closed
 * (`Cannot read properties of null (reading 'write')` in `nextWrite`; porsager/postgres#1154, #1208, fix
 * proposed in #1209, not released). The query it belonged to has already been rejected with
 * CONNECTION_CLOSED, which our retries handle, so that one error is logged and survived; any other uncaught
 * exception still ends the process as Node would (message on stderr, exit 1).
 */
import { redactText } from '../core/redact.js';
import { println } from './io.js';

/** Whether `err` is postgres.js's write on a closed connection. */
export function isPostgresClosedSocketWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    err.message.includes("reading 'write'") &&
    /postgres[\\/](src|cjs[\\/]src)[\\/]connection\.js/.test(err.stack ?? '')
  );
}

/** Install the guard once per process. */
export function installProcessGuards(): void {
  process.on('uncaughtException', (err) => {
    if (isPostgresClosedSocketWrite(err)) {
      println(process.stderr, 'bigbrotr: database connection closed during a write (retried)');
      return;
    }
    println(process.stderr, redactText(String((err as Error)?.stack ?? err)));
    process.exit(1);
  });
}
