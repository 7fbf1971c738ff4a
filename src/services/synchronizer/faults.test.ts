/**
 * Faults with real processes and a real server: kill -9 of the synchronizer in the middle of its
 * batches and a restart; SIGTERM during a cycle; PostgreSQL restarted while it runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import { startEmbeddedPostgres } from '../../core/embedded.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import { artifactDir } from '../../testing/artifacts.js';
import { cliDatabaseEnv } from '../../testing/cli-env.js';
import { applySqlDir, createDatabase, initSqlDir } from '../../testing/databases.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { useTestDatabase } from '../../testing/vitest/db.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const db = useTestDatabase('bigbrotr');
const NOW = Math.floor(Date.now() / 1000);
const START = NOW - 40 * 86_400;
const COUNT = 20_000;

let relay: TestRelay;
let events: NostrEvent[];
let dir: string;
beforeAll(async () => {
  events = generateEvents(COUNT, { seed: 77, createdAt: (i) => START + i * 170 });
  // no NIP-77: the REQ walk, many windows and batches
  relay = await startTestRelay({ events, info: { supported_nips: [1, 11], limitation: { max_limit: 500 } } });
  dir = await artifactDir('bb-sync-faults-');
});
afterAll(async () => {
  await relay?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const yaml = (extra = '') =>
  [
    'networks:',
    '  clearnet: {enabled: false}',
    '  local: {enabled: true, timeout: 5}',
    `processing: {limit: 500, end_lag: 0, batch_size: 500, since: ${START - 10}}`,
    'shutdown_grace: 10',
    // the writer login of cliDatabaseEnv (the test server's admin): a service without `pool.user` runs as its role
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a YAML environment placeholder, read by the CLI
    'pool: {user: "${DB_WRITER_USER}", password_env: DB_WRITER_PASSWORD}',
    extra,
  ].join('\n');

const dbEnv = (url: string): Record<string, string> => ({
  ...cliDatabaseEnv(url),
  NOSTR_PRIVATE_KEY: '22'.repeat(32),
});

/** The synchronizer CLI from source, as its own process. */
function spawnSynchronizer(
  args: string[],
  url = db.url,
): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/testing/cli-entry.ts', 'synchronizer', ...args], {
    cwd: repo,
    env: { ...process.env, ...dbEnv(url) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

const storedCount = async (): Promise<number> =>
  (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_relay WHERE relay_url = ${relay.url}`)[0]?.n ?? 0;

async function waitFor(pred: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(25);
  }
}

/** The cursor never points past committed data: every event of the relay up to the cursor is stored. */
async function expectCursorBehindCommitted(): Promise<void> {
  const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', relay.url);
  // the runs are stopped after thousands of events committed, windows and their cursors among them
  expect(cursor).toBeDefined();
  const c = Number(cursor?.stateValue.timestamp);
  const stored = new Set(
    (
      await db.sql<{ id: string }[]>`SELECT encode(er.event_id, 'hex') AS id FROM event_relay er
        JOIN event e ON e.id = er.event_id WHERE er.relay_url = ${relay.url} AND e.created_at <= ${c}`
    ).map((r) => r.id),
  );
  const covered = events.filter((e) => e.created_at <= c);
  expect(covered.length).toBeGreaterThan(0);
  expect(covered.every((e) => stored.has(e.id))).toBe(true);
}

async function expectAllStoredOnce(): Promise<void> {
  const [row] = await db.sql<{ events: number; sightings: number }[]>`
    SELECT (SELECT count(*)::int FROM event) AS events,
      (SELECT count(*)::int FROM event_relay WHERE relay_url = ${relay.url}) AS sightings`;
  expect(row).toEqual({ events: COUNT, sightings: COUNT });
}

describe('synchronizer faults', () => {
  beforeAll(async () => {
    await insertRelays(db.sql, [{ url: relay.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
  });

  it('kill -9 in the middle of its batches, then a restart: every event stored once, no cursor past commits', async () => {
    const config = join(dir, 'kill.yaml');
    await writeFile(config, yaml());
    const first = spawnSynchronizer(['--config', config]);
    await waitFor(async () => (await storedCount()) >= 3_000, 60_000).catch((err: unknown) => {
      console.log(first.stderr().slice(-4000));
      throw err;
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    const atKill = await storedCount();
    expect(atKill).toBeLessThan(COUNT);
    await expectCursorBehindCommitted();
    const second = spawnSynchronizer(['--once', '--config', config]);
    const code2 = await second.exited;
    if (code2 !== 0) console.log(second.stderr().slice(-3000));
    expect(code2).toBe(0);
    await expectAllStoredOnce();
    const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', relay.url);
    expect(Number(cursor?.stateValue.timestamp)).toBeGreaterThanOrEqual(events.at(-1)?.created_at ?? 0);
  }, 120_000);

  it('SIGTERM during a cycle: commits what it holds and exits 0 within the grace period', async () => {
    await db.sql`DELETE FROM event_relay`;
    await db.sql`DELETE FROM event`;
    await db.sql`DELETE FROM service_state`;
    const config = join(dir, 'term.yaml');
    await writeFile(config, yaml());
    const run = spawnSynchronizer(['--config', config]);
    await waitFor(async () => (await storedCount()) >= 3_000, 60_000);
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exited;
    if (code !== 0) console.log(run.stderr().slice(-3000));
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(run.stderr()).toMatch(/synchronizer: cycle_completed relays=\d+ seen=\d+/);
    await expectCursorBehindCommitted();
    // the next run completes the relay
    const again = spawnSynchronizer(['--once', '--config', config]);
    expect(await again.exited).toBe(0);
    await expectAllStoredOnce();
  }, 120_000);
});

describe('synchronizer and a PostgreSQL restart', () => {
  it('retries through the restart and loses nothing', async () => {
    const pgDir = join(dir, 'restart-pg');
    let server = await startEmbeddedPostgres({ dataDir: pgDir });
    const port = server.port;
    const url = await createDatabase(server.url, 'restart');
    await applySqlDir(url, initSqlDir(repo, 'bigbrotr'));
    const sql = postgres(url, { max: 2, onnotice: () => {}, connect_timeout: 2 });
    try {
      await insertRelays(sql, [{ url: relay.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const config = join(dir, 'restart.yaml');
      await writeFile(config, yaml('interval: 1\nallow_short_interval: true\nmax_consecutive_failures: 0'));
      const run = spawnSynchronizer(['--config', config], url);
      const count = async (): Promise<number> => {
        try {
          return (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_relay`)[0]?.n ?? 0;
        } catch {
          return -1;
        }
      };
      await waitFor(async () => (await count()) >= 3_000, 60_000);
      await server.stop();
      await sleep(1_500);
      server = await startEmbeddedPostgres({ dataDir: pgDir, port });
      await waitFor(async () => (await count()) === COUNT, 90_000).catch((err: unknown) => {
        console.log(run.stderr().slice(-6000));
        throw err;
      });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      const [row] = await sql<{ events: number }[]>`SELECT count(*)::int AS events FROM event`;
      expect(row?.events).toBe(COUNT);
      // the outage was seen and survived
      expect(run.stderr()).toMatch(/write_retry|cycle_failed|db_retry|connection closed during a write/);
    } finally {
      await sql.end({ timeout: 5 });
      await server.stop();
    }
  }, 180_000);
});
