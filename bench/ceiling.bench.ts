/**
 * Ingest against the schema's write ceiling, in one run on the same signed events
 * (BIGBROTR_BENCH_CEILING_EVENTS, default 30,000; 500 authors, 200-byte contents, three tags):
 *  (a) COPY of their rows (event + event_relay) into a fresh database: straight, and through a staging table;
 *  (b) `bigbrotr import` of a JSONL file of them (the CLI from dist, its own process, fresh database);
 *  (c) the real strfry (`BIGBROTR_STRFRY`, its shipped config: max_limit 500) importing the same events with its own
 *      verified `strfry import`, then a first `bigbrotr synchronizer --once` (default config, the local network on)
 *      archiving them from it into a fresh database.
 * Each as a ratio of (a). BIGBROTR_BENCH_CEILING_ROUNDS repeats the block; BIGBROTR_BENCH_PROFILE_DIR takes a CPU
 * profile of (b) and (c) (`node --cpu-prof`) and prints their top self-time functions;
 * BIGBROTR_BENCH_BASELINE_ROOT (another checkout, built) runs its `bigbrotr import` too, in the same round, for a
 * before/after. Needs `npm run build` and BIGBROTR_BENCH_DATABASE_URL (or the embedded server).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRelays } from '../src/core/db/store.js';
import type { RelayUrl } from '../src/models/relay.js';
import { generateEvents, writeEventsJsonl } from '../src/testing/events.js';
import { startStrfry } from '../src/testing/strfry.js';
import { type CliRun, runCli } from './cli-process.js';
import { copyDirect, copyStaged } from './copy-rows.js';
import { cpuLine, cpuSnapshot } from './cpu-accounting.js';
import { topSelf } from './cpuprofile-top.js';
import { mib, withBenchDatabase } from './service-bench.js';

const IMPORT_RELAY = 'ws://127.0.0.1:7447' as RelayUrl;

async function countStored(sql: import('postgres').Sql): Promise<{ events: number; sightings: number }> {
  const [row] = await sql<{ e: number; s: number }[]>`SELECT (SELECT count(*)::int FROM event) AS e,
    (SELECT count(*)::int FROM event_relay) AS s`;
  return { events: row?.e ?? 0, sightings: row?.s ?? 0 };
}

/** Profile flags for a CLI run, in a folder of its own; undefined when not profiling. */
async function profileDir(base: string | undefined, name: string): Promise<string | undefined> {
  if (!base) return undefined;
  const dir = join(base, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

async function profileLines(dir: string | undefined, label: string): Promise<string[]> {
  if (!dir) return [];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const lines: string[] = [];
  for (const f of files) lines.push(`profile of ${label} (${join(dir, f)}):`, ...(await topSelf(join(dir, f), 15)));
  return lines;
}

/** Run the ceiling benchmark. */
export default async function bench(): Promise<string[]> {
  const n = Number(process.env.BIGBROTR_BENCH_CEILING_EVENTS ?? 30_000);
  const rounds = Number(process.env.BIGBROTR_BENCH_CEILING_ROUNDS ?? 1);
  const profileBase = process.env.BIGBROTR_BENCH_PROFILE_DIR;
  const events = generateEvents(n, {
    seed: 19,
    pubkeys: 500,
    kinds: [1, 1, 1, 7, 6, 16, 1111], // regular kinds only: a relay keeps every one of them
    contentSize: 200,
    tags: (i) => [
      ['e', ((i * 2654435761) % 2 ** 32).toString(16).padStart(64, '0')],
      ['p', (i % 997).toString(16).padStart(64, '0')],
      ['t', 'nostr'],
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), 'bb-ceiling-'));
  const file = join(dir, 'events.jsonl');
  await writeEventsJsonl(file, events);
  const config = join(dir, 'synchronizer.yaml');
  await writeFile(config, 'networks:\n  clearnet: {enabled: false}\n  local: {enabled: true}\n');
  const rate = (s: number): string => `${Math.round(n / s).toLocaleString('en-US')} events/s (${s.toFixed(2)} s)`;
  const lines = [
    `${n.toLocaleString('en-US')} signed events (500 authors, regular kinds, 200-byte content, 3 tags); each figure in a fresh database`,
  ];
  const relayRow = (url: RelayUrl) => ({ url, network: 'local' as const, discoveredAt: 1 });
  try {
    for (let round = 1; round <= rounds; round++) {
      let directPostgres = 0;
      const direct = await withBenchDatabase(`bb_ceiling_${process.pid}_a`, async (sql) => {
        await insertRelays(sql, [relayRow(IMPORT_RELAY)]);
        const before = cpuSnapshot();
        const seconds = await copyDirect(sql, events, IMPORT_RELAY);
        directPostgres = cpuSnapshot().postgres - before.postgres;
        return seconds;
      });
      const staged = await withBenchDatabase(`bb_ceiling_${process.pid}_s`, async (sql) => {
        await insertRelays(sql, [relayRow(IMPORT_RELAY)]);
        return copyStaged(sql, events, IMPORT_RELAY);
      });
      const ceiling = Math.min(direct, staged);
      const ratio = (s: number): string => `${(ceiling / s).toFixed(2)}× (a)`;
      const importInto = (cwd?: string, prof?: string): Promise<CliRun & { cpu: string }> =>
        withBenchDatabase(`bb_ceiling_${process.pid}_b`, async (sql, url) => {
          const args = ['import', file, '--relay', IMPORT_RELAY, '--allow-local', '--log-level', 'warn'];
          const cpuBefore = cpuSnapshot();
          const run = await runCli(args, url, prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [], cwd);
          const cpu = cpuLine(cpuBefore, cpuSnapshot());
          const stored = await countStored(sql);
          if (stored.events !== n || stored.sightings !== n) throw new Error(`import stored ${JSON.stringify(stored)}`);
          return { ...run, cpu };
        });
      const baseline = process.env.BIGBROTR_BENCH_BASELINE_ROOT;
      const before = baseline ? await importInto(baseline) : undefined;
      const profImport = await profileDir(profileBase, `import-${round}`);
      const imported = await importInto(undefined, profImport);
      // strfry logs every REQ and CLOSE it receives (`dumpInReq`): the number of requests a first walk took
      await using strfry = await startStrfry({ settings: { 'relay.logging.dumpInReqs': 'true' } });
      const reqsSoFar = (): number => strfry.log().split('dumpInReq: ["REQ"').length - 1;
      const strfryStarted = performance.now();
      const strfryImport = await strfry.importEvents(events);
      const strfrySeconds = (performance.now() - strfryStarted) / 1000;
      if (strfryImport.added !== n) throw new Error(`strfry import added ${strfryImport.added} of ${n}`);
      const syncFrom = (cwd?: string, prof?: string): Promise<CliRun & { reqs: string; cpu: string }> =>
        withBenchDatabase(`bb_ceiling_${process.pid}_c`, async (sql, url) => {
          await insertRelays(sql, [relayRow(strfry.url as RelayUrl)]);
          const args = ['synchronizer', '--once', '--config', config, '--log-level', 'info'];
          const cpuBefore = cpuSnapshot(strfry.pid);
          const reqsBefore = reqsSoFar();
          const run = await runCli(args, url, prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [], cwd);
          const cpu = `${cpuLine(cpuBefore, cpuSnapshot(strfry.pid), 'strfry')}; ${reqsSoFar() - reqsBefore} REQs`;
          const stored = await countStored(sql);
          if (stored.events !== n || stored.sightings !== n)
            throw new Error(`sync stored ${JSON.stringify(stored)}: ${run.stderr.slice(-3000)}`);
          return { ...run, cpu, reqs: requestsOf(run.stderr + run.stdout) };
        });
      const syncBefore = baseline ? await syncFrom(baseline) : undefined;
      const profSync = await profileDir(profileBase, `sync-${round}`);
      const synced = await syncFrom(undefined, profSync);
      await strfry.stop();
      lines.push(
        `round ${round}:`,
        `  (a) COPY straight into event + event_relay: ${rate(direct)}; PostgreSQL CPU ${directPostgres.toFixed(1)} core-s`,
        `  (a) COPY into staging + INSERT … SELECT: ${rate(staged)}`,
        ...(before
          ? [
              `  (b) bigbrotr import, baseline checkout: ${rate(before.seconds)} = ${ratio(before.seconds)}; peak RSS ${mib(before.peak)}; ${before.cpu}`,
            ]
          : []),
        `  (b) bigbrotr import (process wall time${profImport ? ', profiled' : ''}): ${rate(imported.seconds)} = ${ratio(imported.seconds)}; peak RSS ${mib(imported.peak)}; ${imported.cpu}`,
        `  (c) strfry import (its own verified import): ${rate(strfrySeconds)} = ${ratio(strfrySeconds)}`,
        ...(syncBefore
          ? [
              `  (c) first synchronizer --once, baseline checkout: ${rate(syncBefore.seconds)} = ${ratio(syncBefore.seconds)}; peak RSS ${mib(syncBefore.peak)}; ${syncBefore.cpu}`,
            ]
          : []),
        `  (c) first synchronizer --once from strfry: ${rate(synced.seconds)} = ${ratio(synced.seconds)}; peak RSS ${mib(synced.peak)}; ${synced.cpu}${synced.reqs}`,
        ...(await profileLines(profImport, '(b) import')),
        ...(await profileLines(profSync, '(c) synchronizer')),
      );
    }
    return lines;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The totals the synchronizer logs at the end of its cycle (`cycle_completed`). */
function requestsOf(log: string): string {
  const done = log.split('\n').find((l) => l.includes('cycle_completed'));
  return done ? `\n      ${done.trim()}` : '';
}
