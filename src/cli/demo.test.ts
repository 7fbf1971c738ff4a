import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../core/config/index.js';
import { freePort, startEmbeddedPostgres } from '../core/embedded.js';
import { SERVICE_NAMES } from '../models/service-state.js';
import { artifactDir } from '../testing/artifacts.js';
import { captureIo } from '../testing/cli-io.js';
import { demoConfig, demoEvents, demoRelayInfo, startDemoFarm } from './demo.js';
import { main } from './main.js';
import { SERVICES } from './services.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

type Line = { message: string; service: string; at: number } & Record<string, unknown>;

/** Start the CLI in-process; its JSON log lines are readable while it runs. */
function start(argv: string[], env: Record<string, string>) {
  const stop = new AbortController();
  const captured = captureIo(env, { stop: stop.signal });
  const done = main([...argv, '--log-format', 'json'], captured.io);
  // complete lines only: a chunk may end mid-line
  const lines = (): Line[] =>
    captured
      .err()
      .split('\n')
      .slice(0, -1)
      .flatMap((l) => {
        if (!l.startsWith('{')) return [];
        const o = JSON.parse(l) as Record<string, unknown>;
        return [{ ...o, at: Date.parse(String(o.timestamp)) } as Line];
      });
  let exited: number | undefined;
  void done.then((code) => {
    exited = code;
  });
  return { done, lines, stop: () => stop.abort(), err: captured.err, exited: () => exited };
}

type Running = ReturnType<typeof start>;

/** Info lines a service writes once per process (start, stop, what it opened) or seldom (the daily orphan cleanup). */
const ONCE = new Set([
  'service_started',
  'service_stopped',
  'api_listening',
  'geo_database_default',
  'orphans_deleted',
]);

/**
 * At info, each service writes one line per cycle: the runner's `cycle_completed` carrying the service's summary.
 * Its other info lines are once per process (ONCE, at most once per `service_started`) or progress within a long
 * cycle (`chunk_validated`, one per chunk of candidates).
 */
function expectOneInfoLinePerCycle(lines: readonly Line[], services: readonly string[]): void {
  const info = lines.filter((l) => l.level === 'info');
  for (const s of services) {
    const mine = info.filter((l) => l.service === s);
    const count = (message: string): number => mine.filter((l) => l.message === message).length;
    expect(count('cycle_completed'), s).toBeGreaterThan(0);
    const others = mine.filter((l) => l.message !== 'cycle_completed' && l.message !== 'chunk_validated');
    expect(others.filter((l) => !ONCE.has(l.message)).map((l) => `${s} ${l.message}`)).toEqual([]);
    for (const l of others) expect(count(l.message), `${s} ${l.message}`).toBeLessThanOrEqual(count('service_started'));
  }
}

/** Wait for `probe` to find something in a running CLI's output; fail with the log's tail if it never does. */
async function until<T>(run: Running, what: string, probe: () => T | undefined | false, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline || run.exited() !== undefined) {
      const why = run.exited() === undefined ? 'timed out' : `exited with ${run.exited()}`;
      throw new Error(`${why} waiting for ${what}; log tail:\n${run.err().slice(-4000)}`);
    }
    await sleep(100);
  }
}

/** What the archive holds, read with the embedded server on the same data directory. */
async function inspect(dataDir: string) {
  await using pg = await startEmbeddedPostgres({ dataDir });
  const url = new URL(pg.url);
  url.pathname = '/bigbrotr';
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    type Counts = {
      relays: number;
      candidates: number;
      monitored: number;
      events: number;
      sightings: number;
      software: number;
    };
    const [n] = await sql<Counts[]>`SELECT
      (SELECT count(*) FROM relay WHERE network = 'local')::int AS relays,
      (SELECT count(*) FROM service_state WHERE service_name = 'validator' AND state_type = 'checkpoint')::int
        AS candidates,
      (SELECT count(DISTINCT relay_url) FROM relay_metadata)::int AS monitored,
      (SELECT count(*) FROM event)::int AS events,
      (SELECT count(*) FROM event_relay)::int AS sightings,
      (SELECT count(*) FROM relay_software_counts)::int AS software`;
    const cursors = await sql<{ url: string; ts: string }[]>`
      SELECT state_key AS url, state_value->>'timestamp' AS ts FROM service_state
      WHERE service_name = 'synchronizer' AND state_type = 'cursor' ORDER BY 1`;
    return { ...(n as Counts), cursors: new Map(cursors.map((c) => [c.url, Number(c.ts)])) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe('up --demo', () => {
  it('points every service config at the farm, valid for both deployments, without the network', async () => {
    const now = 1_800_000_000;
    for (const d of ['bigbrotr', 'lilbrotr']) {
      for (const name of SERVICE_NAMES) {
        const path = join(repo, 'deployments', d, 'config/services', `${name}.yaml`);
        const config = await loadConfigFile(path, SERVICES[name].schema, { env: {} });
        const demo = demoConfig(name, config, now) as Record<string, unknown>;
        if ('networks' in demo) {
          const enabled = Object.entries(demo.networks as Record<string, { enabled: boolean }>).filter(
            ([, n]) => n.enabled,
          );
          expect(enabled.map(([net]) => net)).toEqual(['local']);
        }
        if (name !== 'seeder') expect((demo as { interval: number }).interval).toBeLessThanOrEqual(30);
      }
    }
    const path = join(repo, 'deployments/bigbrotr/config/services');
    const sync = demoConfig(
      'synchronizer',
      await loadConfigFile(join(path, 'synchronizer.yaml'), SERVICES.synchronizer.schema, { env: {} }),
      now,
    ) as { processing: { end_lag: number; since: number } };
    expect(sync.processing.end_lag).toBe(0);
    expect(now - sync.processing.since).toBeGreaterThan(3 * 86_400);
    const monitor = demoConfig(
      'monitor',
      await loadConfigFile(join(path, 'monitor.yaml'), SERVICES.monitor.schema, { env: {} }),
      now,
    ) as { publishing: { relays: string[] }; geo: { city_download_url: null } };
    expect(monitor.publishing.relays).toEqual([]);
    expect(monitor.geo.city_download_url).toBeNull();
    const api = demoConfig('api', await loadConfigFile(join(path, 'api.yaml'), SERVICES.api.schema, { env: {} }), now);
    expect((api as { host: string }).host).toBe('127.0.0.1');
    const finder = demoConfig(
      'finder',
      await loadConfigFile(join(path, 'finder.yaml'), SERVICES.finder.schema, { env: {} }),
      now,
    );
    expect((finder as { api: { enabled: boolean } }).api.enabled).toBe(false);
  });

  it('starts a farm of varied relays serving recent history', async () => {
    const infos = Array.from({ length: 20 }, (_, i) => demoRelayInfo(i));
    expect(new Set(infos.map((i) => i.name)).size).toBe(20);
    expect(new Set(infos.map((i) => i.software)).size).toBeGreaterThanOrEqual(4);
    expect(infos.filter((i) => i.supported_nips?.includes(77))).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    await using farm = await startDemoFarm({ count: 3, basePort: await freePort(), liveEverySec: 0 });
    expect(farm.urls).toHaveLength(3);
    const info = await fetch(farm.urls[0]?.replace('ws:', 'http:') ?? '', {
      headers: { accept: 'application/nostr+json' },
    });
    expect(((await info.json()) as { name: string }).name).toBe(demoRelayInfo(0).name);
    const events = demoEvents(500, now);
    const ages = events.map((e) => now - e.created_at);
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ages)).toBeGreaterThan(2 * 86_400);
  });

  it('runs the whole pipeline on the embedded database, stops on request and resumes', async () => {
    const dataDir = join(await artifactDir('bb-demo-'), 'pg');
    const env = { BIGBROTR_DATA_DIR: dataDir, API_PORT: String(await freePort()) };
    const runs: Running[] = [];
    try {
      const t0 = Date.now();
      const first = start(['up', '--demo'], env);
      runs.push(first);
      const ready = await until(first, 'up_ready', () => first.lines().find((l) => l.message === 'up_ready'));
      const services = String(ready.services).split(',');
      expect(services).not.toContain('seeder');
      const demoReady = await until(first, 'demo_ready', () => first.lines().find((l) => l.message === 'demo_ready'));
      expect(demoReady).toMatchObject({ relays: 20, inserted: 20, dashboard: `http://127.0.0.1:${env.API_PORT}/` });
      // every service completes a cycle; the monitor checked the farm and the synchronizer stored its events
      const firstCycles = await until(first, 'a completed cycle of every service', () => {
        const at = new Map<string, number>();
        for (const l of first.lines())
          if (l.message === 'cycle_completed' && !at.has(l.service)) at.set(l.service, l.at);
        return services.every((s) => at.has(s)) ? at : undefined;
      });
      const monitored = await until(first, 'the farm monitored', () =>
        first.lines().find((l) => l.message === 'cycle_completed' && l.service === 'monitor' && Number(l.total) > 0),
      );
      const synced = await until(first, 'events synchronized', () =>
        first
          .lines()
          .find((l) => l.message === 'cycle_completed' && l.service === 'synchronizer' && Number(l.inserted) > 0),
      );
      const pipelineAt = Math.max(...firstCycles.values(), monitored.at, synced.at);
      const cyclesAt = Math.max(...firstCycles.values());
      console.log(
        `up --demo from an empty data dir (initdb included): first completed cycle of every service after ` +
          `${((cyclesAt - t0) / 1000).toFixed(1)} s; farm validated, monitored and synchronized after ` +
          `${((pipelineAt - t0) / 1000).toFixed(1)} s (${[...firstCycles].map(([s, at]) => `${s} ${((at - t0) / 1000).toFixed(1)}`).join(', ')})`,
      );
      expect(first.lines().find((l) => l.message === 'cycle_completed' && l.service === 'validator')).toMatchObject({
        valid: 20,
        failed: 0,
      });
      expect(monitored).toMatchObject({ total: 20, succeeded: 20 });
      const dashboard = await fetch(String(demoReady.dashboard));
      expect(dashboard.status).toBe(200);
      // a refresh that began after the monitor and the synchronizer wrote, so the statistics show the farm
      await until(first, 'views refreshed after the data arrived', () => {
        // a refresh that completed after the one running when the data arrived (each view's line is at debug)
        const lines = first.lines();
        const refreshed = (l: (typeof lines)[number]): boolean =>
          l.message === 'cycle_completed' && l.service === 'refresher';
        const i = lines.findIndex((l) => refreshed(l) && l.at > pipelineAt);
        return i >= 0 && lines.slice(i + 1).some((l) => refreshed(l) && l.failed === 0);
      });
      first.stop();
      expect(await first.done).toBe(0);
      expect(first.err()).toContain('"up_stopped"');
      expectOneInfoLinePerCycle(first.lines(), services);
      const before = await inspect(dataDir);
      expect(before).toMatchObject({ relays: 20, candidates: 0, monitored: 20 });
      expect(before.events).toBeGreaterThan(1000);
      expect(before.sightings).toBeGreaterThan(before.events);
      expect(before.software).toBeGreaterThanOrEqual(4);
      expect(before.cursors.size).toBe(20);

      // again on the same data directory: nothing re-seeded, the cursors carry on
      const second = start(['up', '--demo'], env);
      runs.push(second);
      const again = await until(second, 'demo_ready', () => second.lines().find((l) => l.message === 'demo_ready'));
      expect(again).toMatchObject({ relays: 20, inserted: 0 });
      await until(second, 'a completed cycle of every service after the restart', () => {
        const done = new Set(second.lines().flatMap((l) => (l.message === 'cycle_completed' ? [l.service] : [])));
        return services.every((s) => done.has(s));
      });
      const resumed = await until(second, 'the synchronizer resumed', () =>
        second.lines().find((l) => l.message === 'cycle_completed' && l.service === 'synchronizer'),
      );
      expect(Number(resumed.seen)).toBeLessThan(Number(synced.seen) / 4);
      second.stop();
      expect(await second.done).toBe(0);
      expectOneInfoLinePerCycle(second.lines(), services);
      const after = await inspect(dataDir);
      expect(after).toMatchObject({ relays: 20, candidates: 0, monitored: 20 });
      expect(after.events).toBeGreaterThanOrEqual(before.events);
      expect([...after.cursors.keys()]).toEqual([...before.cursors.keys()]);
      for (const [url, ts] of before.cursors) expect(after.cursors.get(url)).toBeGreaterThanOrEqual(ts);
    } finally {
      // a failed expectation must not leave the services, the farm or the embedded server running
      for (const run of runs) run.stop();
      await Promise.allSettled(runs.map((r) => r.done));
    }
  }, 240_000);
});

describe('up --demo as a process', () => {
  it('stops cleanly on a terminal Ctrl-C (SIGINT to its whole process group) and exits 0', async () => {
    const dataDir = join(await artifactDir('bb-demo-sigint-'), 'pg');
    const env: Record<string, string | undefined> = {
      ...process.env,
      BIGBROTR_DATA_DIR: dataDir,
      API_PORT: String(await freePort()),
    };
    for (const key of Object.keys(env)) if (key.startsWith('DB_')) delete env[key];
    // detached: its own process group, as a shell gives a foreground job
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/testing/cli-entry.ts', 'up', '--demo'], {
      cwd: repo,
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const started = Date.now();
    // Ctrl-C while the first cycles are writing
    while (!/validator: cycle_completed/.test(err) && Date.now() - started < 90_000) await sleep(50);
    expect(err).toMatch(/validator: cycle_completed/);
    process.kill(-(child.pid as number), 'SIGINT');
    expect(await exited).toBe(0);
    expect(err).toContain('up_stopped');
    // the database outlived the services: no cycle lost its writes to a server shut down under it
    expect(err).not.toMatch(/cycle_failed|db_retry/);
  }, 150_000);
});
