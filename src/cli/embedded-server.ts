/**
 * One data folder, one embedded server, many commands. The command that starts the embedded PostgreSQL records
 * how to reach it beside the data folder (`<data_dir>.server.json`: its own process id, the port, the command and
 * when it started; removed when it stops the server). Every later command on the same folder reads the record and
 * checks it against the living: the process is alive, PostgreSQL's own `postmaster.pid` is there, and the server
 * answers a query with the folder's password. Then:
 *
 * - a command beside a running `bigbrotr up` uses that server (and leaves it running when it ends);
 * - a second `bigbrotr up` refuses at once (exit 2), naming the running one;
 * - beside a shorter command (export, import, a service) that started the server itself, a command refuses (exit
 *   2) rather than lose its server half-way when that command ends and stops it;
 * - a record whose process is gone is stale and removed; a server that runs on the folder without any record (not
 *   started by a running bigbrotr) is refused with its process id, rather than waiting on PostgreSQL's lock.
 */
import { existsSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { DatabaseUnreachableError } from '../core/db/errors.js';
import { type EmbeddedServer, startEmbeddedPostgres } from '../core/embedded.js';
import { UsageError } from './errors.js';
import { isAlive } from './lifeline.js';

/** What the command that owns the server records beside the data folder. */
export interface ServerRecord {
  readonly pid: number;
  readonly port: number;
  readonly command: string;
  readonly started_at: string;
}

/** The embedded server a command works with: its own, or the one a running `up` owns. */
export interface EmbeddedHandle extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** The data directory (the role passwords are kept beside it). */
  readonly dataDir: string;
  /** The record of the owner when this command uses another command's server. */
  readonly attachedTo: ServerRecord | undefined;
  /** Stop the server if this command started it; leave another command's server running. */
  stop(): Promise<void>;
}

/** How to acquire the server. */
export interface AcquireOpts {
  readonly dataDir: string;
  readonly port?: number;
  /** The command acquiring it (`up`, `export`, a service name…). */
  readonly command: string;
  readonly log?: (line: string) => void;
  /** Starting the server (injected by tests). */
  readonly start?: typeof startEmbeddedPostgres;
}

/** The record's path for a data folder. */
export function serverRecordPath(dataDir: string): string {
  return `${resolve(dataDir)}.server.json`;
}

/** Use the folder's running server when a live `up` owns it, refuse when another command does, else start one. */
export async function acquireEmbedded(opts: AcquireOpts): Promise<EmbeddedHandle> {
  const dataDir = resolve(opts.dataDir);
  const live = await liveRecord(dataDir);
  if (live) return attach(dataDir, live, opts.command);
  await refuseForeignServer(dataDir);
  const server = await (opts.start ?? startEmbeddedPostgres)({
    dataDir,
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return own(dataDir, server, opts.command);
}

/**
 * Throw the UsageError `command` would meet on the folder (another `up` serves it, a shorter command owns it, a
 * foreign server runs on it), without starting or attaching anything: the start-up checks call it first.
 */
export async function checkDataFolderFree(dataDir: string, command: string): Promise<void> {
  const live = await liveRecord(resolve(dataDir));
  if (live) refuseOwner(resolve(dataDir), live, command);
  else await refuseForeignServer(resolve(dataDir));
}

function ownerText(rec: ServerRecord): string {
  return `'bigbrotr ${rec.command}' (pid ${rec.pid}, since ${rec.started_at}, 127.0.0.1:${rec.port})`;
}

function refuseOwner(dataDir: string, rec: ServerRecord, command: string): void {
  const owner = ownerText(rec);
  if (command === 'up') {
    throw new UsageError(
      `bigbrotr up: the data folder ${dataDir} is already served by ${owner}. Stop that one first (kill -TERM ${rec.pid}); other commands use it while it runs.`,
    );
  }
  if (rec.command !== 'up') {
    throw new UsageError(
      `the data folder ${dataDir} is in use by ${owner}, which stops its server when it ends. Run this again when it has finished, or keep 'bigbrotr up' running: every command then shares its server.`,
    );
  }
}

async function attach(dataDir: string, rec: ServerRecord, command: string): Promise<EmbeddedHandle> {
  refuseOwner(dataDir, rec, command);
  const owner = ownerText(rec);
  const url = await serverUrl(dataDir, rec.port);
  if (!(await answers(url))) {
    throw new DatabaseUnreachableError(
      `the data folder ${dataDir} is held by ${owner}, but its server does not answer; it may be starting or stopping: try again in a moment`,
    );
  }
  const stop = async (): Promise<void> => {};
  return { url, port: rec.port, dataDir, attachedTo: rec, stop, [Symbol.asyncDispose]: stop };
}

async function own(dataDir: string, server: EmbeddedServer, command: string): Promise<EmbeddedHandle> {
  const path = serverRecordPath(dataDir);
  const rec: ServerRecord = { pid: process.pid, port: server.port, command, started_at: new Date().toISOString() };
  // a fatal exit without stop() leaves no record behind (the server itself is stopped by embedded-watchdog.ts)
  const onExit = (): void => removeRecordSync(path);
  try {
    await writeFile(path, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
  } catch (err) {
    await server.stop();
    throw err;
  }
  process.on('exit', onExit);
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    await rm(path, { force: true });
    await server.stop();
  };
  return { url: server.url, port: server.port, dataDir, attachedTo: undefined, stop, [Symbol.asyncDispose]: stop };
}

/** The folder's record when its process lives and PostgreSQL runs on the folder; a stale record is removed. */
async function liveRecord(dataDir: string): Promise<ServerRecord | undefined> {
  const path = serverRecordPath(dataDir);
  const rec = await readJson(path);
  if (!rec) return undefined;
  if (rec.pid !== process.pid && isAlive(rec.pid) && existsSync(join(dataDir, 'postmaster.pid'))) return rec;
  await rm(path, { force: true });
  return undefined;
}

/** A PostgreSQL that runs on the folder without a live record: not ours to use or to wait for. */
async function refuseForeignServer(dataDir: string): Promise<void> {
  const lock = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (!lock) return;
  const [pidLine, , , portLine] = lock.split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // stale lock: PostgreSQL clears it itself
  throw new UsageError(
    `a PostgreSQL server (pid ${pid}, port ${portLine?.trim() || '?'}) already runs on the data folder ${dataDir} and no running bigbrotr owns it. Stop it (kill -INT ${pid}) and try again.`,
  );
}

async function readJson(path: string): Promise<ServerRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(path, 'utf8')) as Partial<ServerRecord>;
    return Number.isInteger(rec.pid) && Number.isInteger(rec.port) ? (rec as ServerRecord) : undefined;
  } catch {
    return undefined;
  }
}

async function serverUrl(dataDir: string, port: number): Promise<string> {
  const password = (await readFile(`${dataDir}.password`, 'utf8').catch(() => '')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

function removeRecordSync(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing left to do on the way out
  }
}
