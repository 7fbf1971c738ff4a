/**
 * Start-up checks, run before any service starts (and before the embedded server or the demo farm): the ports
 * the process will listen on are free, the data folder is usable and not served by another command, and every
 * Nostr key the environment gives is valid, and the embedded PostgreSQL, when used, is installed. Each failure is
 * one line naming what to change; all failures are reported together as one UsageError (exit 2).
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { BrotrConfig } from '../core/config/index.js';
import { embeddedPostgresMissing } from '../core/embedded.js';
import { checkDataFolderFree } from './embedded-server.js';
import { UsageError } from './errors.js';
import { parseSecretKey } from './keys.js';

/** A port the process will listen on, and what for. */
export interface PortUse {
  readonly what: string;
  readonly host: string;
  readonly port: number;
  /** The setting (or variable) that chooses it, named in the error. */
  readonly setting: string;
}

/** What to check. */
export interface PreflightInput {
  readonly cwd: string;
  readonly brotr: BrotrConfig;
  readonly ports: readonly PortUse[];
  /** Environment variables that hold Nostr keys (checked only when set). */
  readonly keyVariables: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command, for the data-folder check (`up` refuses a folder another command serves). */
  readonly command: string;
}

/** Run every check; throw one UsageError listing each failure. */
export async function preflight(input: PreflightInput): Promise<void> {
  const problems = [
    ...(await Promise.all(input.ports.map(checkPort))),
    ...(input.brotr.database.embedded ? [await embeddedPostgresMissing(), await checkDataFolder(input)] : []),
    ...input.keyVariables.map((name) => checkKey(input.env, name)),
  ].filter((p): p is string => p !== undefined);
  if (problems.length === 0) return;
  throw new UsageError(`cannot start: ${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`);
}

/** Whether `host:port` can be listened on now. */
export function canListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => done(err));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(undefined)));
  });
}

async function checkPort(use: PortUse): Promise<string | undefined> {
  if (use.port === 0) return undefined;
  const err = await canListen(use.host, use.port);
  if (!err) return undefined;
  const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${err.code ?? err.message})`;
  return `port ${use.port} on ${use.host} (${use.what}) ${why}: stop what listens there or change ${use.setting}`;
}

async function checkDataFolder(input: PreflightInput): Promise<string | undefined> {
  const dataDir = resolve(input.cwd, input.brotr.embedded.data_dir);
  try {
    const existing = await stat(dataDir).catch(() => undefined);
    if (existing && !existing.isDirectory()) return `the data folder ${dataDir} exists and is not a folder`;
    const parent = dirname(dataDir);
    await mkdir(parent, { recursive: true });
    await access(existing ? dataDir : parent, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return `the data folder ${dataDir} is not usable (${code}): set BIGBROTR_DATA_DIR (embedded.data_dir) to a writable folder`;
  }
  try {
    await checkDataFolderFree(dataDir, input.command);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

function checkKey(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  try {
    parseSecretKey(value, name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The ports a service config makes the process listen on: the api's HTTP port and an enabled metrics endpoint. */
export function servicePorts(name: string, config: unknown): PortUse[] {
  const c = config as {
    host?: string;
    port?: number;
    metrics?: { enabled: boolean; host: string; port: number };
  };
  const ports: PortUse[] = [];
  if (name === 'api' && c.port !== undefined)
    ports.push({
      what: 'the api and dashboard',
      host: c.host ?? '0.0.0.0',
      port: c.port,
      setting: 'API_PORT (api.yaml port)',
    });
  if (c.metrics?.enabled)
    ports.push({ what: 'metrics', host: c.metrics.host, port: c.metrics.port, setting: 'METRICS_PORT (metrics.port)' });
  return ports;
}

/** The same port listed twice (one metrics endpoint shared by every service under `up`) is checked once. */
export function uniquePorts(ports: readonly PortUse[]): PortUse[] {
  const seen = new Set<string>();
  return ports.filter((p) => !seen.has(`${p.host}:${p.port}`) && Boolean(seen.add(`${p.host}:${p.port}`)));
}

/** The key variables named by the configs' `keys.keys_env`. */
export function keyVariables(configs: Iterable<unknown>): string[] {
  const names = [...configs].flatMap((c) => (c as { keys?: { keys_env?: string } }).keys?.keys_env ?? []);
  return [...new Set(names)];
}
