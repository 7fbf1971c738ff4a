/**
 * A harness for the real strfry relay (hoytech/strfry), for the interop tests (`*.strfry.test.ts`). The binary
 * comes from `BIGBROTR_STRFRY`; its config is the `strfry.conf` beside it (strfry's shipped defaults) unless
 * one is given. Each relay gets a free loopback port and a fresh data folder that `stop()` removes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { freePort } from '../core/embedded.js';
import type { NostrEvent } from '../models/event.js';
import { artifactDir } from './artifacts.js';
import { writeEventsJsonl } from './events.js';

/** The environment variable naming the strfry binary. */
export const STRFRY_ENV = 'BIGBROTR_STRFRY';

/**
 * The strfry binary from `BIGBROTR_STRFRY`, or undefined when it is unset (so a suite can `describe.skipIf`).
 * Under `CI=true` an unset variable throws: CI must run the interop tests, never skip them.
 */
export function strfryBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env[STRFRY_ENV];
  if (path) return path;
  if (env.CI === 'true') throw new Error(`${STRFRY_ENV} is not set: CI must run the strfry interop tests`);
  return undefined;
}

/** How to start strfry. */
export interface StrfryOpts {
  /** The binary (default: `strfryBinary()`, which must then be set). */
  readonly binary?: string | undefined;
  /** The config file (default: `strfry.conf` beside the binary). */
  readonly config?: string;
  /** Extra `--set key=value` overrides, e.g. `{ 'relay.maxFilterLimit': '100' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Let NIP-42 AUTH succeed: sets `relay.auth.serviceUrl` to the relay's own URL. The shipped config leaves it
   * empty, so every AUTH is refused there (`error: relay needs serviceUrl to be configured before AUTH can work`).
   */
  readonly acceptAuth?: boolean;
  /** How long to wait for the port to answer (default 15 s). */
  readonly startTimeoutMs?: number;
}

/** What `strfry import` reported. */
export interface StrfryImport {
  readonly added: number;
  readonly rejected: number;
  readonly dups: number;
}

/** A running strfry. */
export interface Strfry extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The relay's process id (the benchmarks read its CPU time). */
  readonly pid: number | undefined;
  /** The data folder (cwd of the relay; holds `strfry-db/` and `relay.log`). */
  readonly dir: string;
  /**
   * Import events with `strfry import` (works while the relay runs) as ONE write batch; resolves with strfry's own
   * counts. Within a batch strfry stores events in (created_at, id) order, so events of one second come back
   * id-descending (its queries return the most recently stored first on ties).
   */
  importEvents(events: readonly NostrEvent[]): Promise<StrfryImport>;
  /** The relay's output so far (stdout and stderr). */
  log(): string;
  /** SIGTERM, wait for the exit, remove the data folder. Idempotent. */
  stop(): Promise<void>;
}

/** Start strfry on a free loopback port with a fresh data folder; resolves once the port answers NIP-11. */
export async function startStrfry(opts: StrfryOpts = {}): Promise<Strfry> {
  const binary = opts.binary ?? strfryBinary();
  if (!binary) throw new Error(`no strfry binary: set ${STRFRY_ENV}`);
  const config = opts.config ?? join(dirname(binary), 'strfry.conf');
  const dir = await artifactDir('bb-strfry-');
  await mkdir(join(dir, 'strfry-db'));
  const sets = Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const base = ['--config', config, ...sets];
  let child: (ChildProcess & { log(): string }) | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const auth = opts.acceptAuth ? ['--set', `relay.auth.serviceUrl=ws://127.0.0.1:${port}`] : [];
      child = spawnLogged(binary, [...base, ...auth, '--set', `relay.port=${port}`, 'relay'], dir);
      const up = await waitUntilAnswering(child, port, opts.startTimeoutMs ?? 15_000);
      if (up === 'up') return running(child, port);
      await terminate(child);
      const log = child.log();
      // another process may have taken the port between freePort() and strfry's bind: try once more
      if (attempt >= 2 || !/bind|address already in use/i.test(log))
        throw new Error(`strfry did not start (${up}): ${log.slice(-2000)}`);
    }
  } catch (err) {
    if (child) await terminate(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  function running(proc: ChildProcess & { log(): string }, port: number): Strfry {
    let stopped: Promise<void> | undefined;
    const orphan = (): void => void proc.kill('SIGKILL'); // a test process that dies leaves no relay behind
    process.once('exit', orphan);
    const stop = (): Promise<void> => {
      process.removeListener('exit', orphan);
      stopped ??= terminate(proc).then(() => rm(dir, { recursive: true, force: true }));
      return stopped;
    };
    return {
      url: `ws://127.0.0.1:${port}`,
      port,
      pid: proc.pid,
      dir,
      importEvents: (events) => importInto(binary as string, base, dir, events),
      log: () => proc.log(),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }
}

/** Spawn the relay, keeping its output in memory (`log()`). */
function spawnLogged(binary: string, args: readonly string[], dir: string): ChildProcess & { log(): string } {
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  const keep = (b: Buffer): void => void chunks.push(b);
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (err) => void chunks.push(Buffer.from(`spawn error: ${err.message}\n`)));
  return Object.assign(child, { log: () => Buffer.concat(chunks).toString('utf8') });
}

/** Poll NIP-11 until it answers, the process exits, or the time is up. */
async function waitUntilAnswering(child: ChildProcess, port: number, timeoutMs: number): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.pid === undefined) return 'spawn failed';
    if (child.exitCode !== null || child.signalCode !== null) return `exited ${child.exitCode ?? child.signalCode}`;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 1_000);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { accept: 'application/nostr+json' },
        signal: ctl.signal,
      });
      await res.text();
      if (res.ok) return 'up';
    } catch {
      // not listening yet
    } finally {
      clearTimeout(timer);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return `no answer within ${timeoutMs} ms`;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

async function importInto(
  binary: string,
  base: readonly string[],
  dir: string,
  events: readonly NostrEvent[],
): Promise<StrfryImport> {
  const file = join(dir, `import-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeEventsJsonl(file, events);
  try {
    // one write batch (never split by the writer's debounce), so the order strfry stores events in is
    // deterministic: it sorts each batch by (created_at, id) and numbers the events in that order
    const batch = ['--write-batch=100000000', '--debounce-millis=3600000'];
    const child = spawn(binary, [...base, 'import', ...batch], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => void chunks.push(b));
    child.stderr.on('data', (b: Buffer) => void chunks.push(b));
    createReadStream(file).pipe(child.stdin);
    const [code] = (await once(child, 'exit')) as [number | null];
    const out = Buffer.concat(chunks).toString('utf8');
    // the last line: `Done. Processed N lines. N added, N rejected, N dups` (earlier lines count per commit)
    const done = /Done\. Processed \d+ lines\. (\d+) added, (\d+) rejected, (\d+) dups/.exec(out);
    if (code !== 0 || !done) throw new Error(`strfry import failed (exit ${code}): ${out.slice(-2000)}`);
    return { added: Number(done[1]), rejected: Number(done[2]), dups: Number(done[3]) };
  } finally {
    await rm(file, { force: true });
  }
}
