/**
 * The database pool (postgres.js) with retry on transient failures. Works behind PgBouncer in transaction
 * mode: no prepared statements outlive a transaction (`prepare: false`) and no session state is relied on
 * (server settings are sent in the startup packet).
 */
import postgres from 'postgres';
import { redactText } from '../redact.js';
import { DatabaseUnreachableError, isConnectError } from './errors.js';
import { withRetry } from './retry.js';

/** Connection and pool options, mapped by the composition root from brotr.yaml. */
export interface DbOpts {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password?: string | undefined;
  /** Maximum connections (default 5). postgres.js opens connections lazily, so there is no minimum. */
  readonly maxSize?: number;
  /** Close a connection idle for this long (default 300 s). */
  readonly idleTimeoutSec?: number;
  /**
   * Recycle a connection after this many seconds (default 1800). postgres.js cannot count queries per
   * connection, so the reference's "recycle after 50,000 queries" is approximated by lifetime.
   */
  readonly maxLifetimeSec?: number;
  readonly connectTimeoutSec?: number;
  readonly applicationName?: string;
  readonly statementTimeoutMs?: number;
  /**
   * Start every transaction read-only (`default_transaction_read_only`): the API's and the DVM's sessions. A
   * transaction that must write says `BEGIN READ WRITE`; the role's grants decide whether it may.
   */
  readonly readOnly?: boolean;
  /** Use server-side prepared statements (faster on a direct connection; leave off behind PgBouncer). */
  readonly prepare?: boolean;
  readonly retry?: { readonly maxAttempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number };
}

/** Minimal logging the pool needs. */
export interface DbLogger {
  warn(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/** An open database: the tagged-template client plus retrying execution. */
export interface Db extends AsyncDisposable {
  readonly sql: postgres.Sql;
  /** `host:port/database`, for messages (never includes the password). */
  readonly target: string;
  /** Run a unit of work, retrying it as a whole on transient failures. */
  run<T>(fn: (sql: postgres.Sql) => Promise<T>, opts?: { signal?: AbortSignal }): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_RETRY = { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 10_000 };

/** Open a pool and check that the server answers (retrying as configured). */
export async function createDb(opts: DbOpts, deps: { logger?: DbLogger } = {}): Promise<Db> {
  // why redacted: a host copied from a connection URL carries its password
  const target = redactText(`${opts.host}:${opts.port}/${opts.database}`);
  const retry = opts.retry ?? DEFAULT_RETRY;
  const sql = postgres({
    host: opts.host,
    port: opts.port,
    database: opts.database,
    username: opts.user,
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    max: opts.maxSize ?? 5,
    idle_timeout: opts.idleTimeoutSec ?? 300,
    max_lifetime: opts.maxLifetimeSec ?? 1800,
    connect_timeout: opts.connectTimeoutSec ?? 10,
    prepare: opts.prepare ?? false,
    connection: {
      application_name: opts.applicationName ?? 'bigbrotr',
      TimeZone: 'UTC',
      statement_timeout: opts.statementTimeoutMs ?? 0,
      // our queries are short; on a server with JIT on (PostgreSQL's default), the estimated cost of a join over
      // two hash-partitioned tables makes a 15 ms lookup compile for 0.7 s (measured on the synchronizer's)
      jit: 'off',
      ...(opts.readOnly ? { default_transaction_read_only: true } : {}),
    },
    // postgres.js delays a reconnection by 3^n/100 s (up to 20 s) after n failed connects in a row, counted across
    // the whole pool: a one-second server restart seen by a handful of connections then stalls every query for
    // 10-20 s after the server is back. `run` and the services' retries already pace the attempts.
    backoff: (n: number) => Math.min(0.05 * 2 ** n, 1),
    onnotice: (n) => deps.logger?.debug('db_notice', { message: n.message }),
  });
  const run = <T>(fn: (s: postgres.Sql) => Promise<T>, o: { signal?: AbortSignal } = {}): Promise<T> =>
    withRetry(() => fn(sql), {
      ...retry,
      ...(o.signal ? { signal: o.signal } : {}),
      onRetry: (err, attempt, delayMs) => {
        deps.logger?.warn('db_retry', { target, attempt, delay_ms: delayMs, code: (err as { code?: string }).code });
      },
    });
  const close = (): Promise<void> => sql.end({ timeout: 5 });
  try {
    await run((s) => s`SELECT 1`);
  } catch (err) {
    await close();
    if (isConnectError(err)) {
      const code = (err as { code?: string }).code ?? 'error';
      throw new DatabaseUnreachableError(
        redactText(
          `cannot reach PostgreSQL at ${opts.host}:${opts.port} (database ${opts.database}) after ${retry.maxAttempts} attempts: ${code}`,
        ),
        { cause: err },
      );
    }
    throw err;
  }
  return {
    sql,
    target,
    run,
    close,
    [Symbol.asyncDispose]: close,
  };
}
