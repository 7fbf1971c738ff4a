/** The CLI in process: help and version, config check, import and export. */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../models/event.js';
import { artifactDir } from '../testing/artifacts.js';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { generateEvents, signEvent, testSecretKey } from '../testing/events.js';
import { REPO, runCli } from '../testing/vitest/cli-run.js';
import { useTestDatabase } from '../testing/vitest/db.js';

const repo = REPO;
const run = runCli;
const db = useTestDatabase('bigbrotr');

const dbEnv = (): Record<string, string> => cliDatabaseEnv(db.url);

describe('bigbrotr CLI basics', () => {
  it('prints help and version, and rejects unknown commands and flags with exit 2', async () => {
    expect((await run(['--help'])).out).toContain('Usage: bigbrotr <command>');
    expect((await run(['--version'])).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await run(['export', '--help'])).out).toContain('--kinds');
    for (const service of ['seeder', 'synchronizer', 'dvm'])
      expect((await run([service, '--help'])).out).toContain(`bigbrotr ${service}`);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const flag = await run(['export', '--sinse', '5']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('--sinse');
    const keyless = await run(['monitor']);
    expect(keyless.code).toBe(2);
    expect(keyless.err).toContain('NOSTR_PRIVATE_KEY is not set');
    const bad = await run(['monitor'], { NOSTR_PRIVATE_KEY: 'nsec1notakey' });
    expect(bad.err).toContain('NOSTR_PRIVATE_KEY is not a valid Nostr private key');
    expect(bad.err).not.toContain('nsec1notakey');
  });
});

describe('config check', () => {
  it('accepts both deployments', async () => {
    for (const d of ['deployments/bigbrotr', 'deployments/lilbrotr']) {
      const r = await run(['config', 'check', '--deployment', d]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('names every bad key with its file and path, and exits 2', async () => {
    const dir = await artifactDir('bb-config-');
    await cp(join(repo, 'deployments/bigbrotr/config'), join(dir, 'config'), { recursive: true });
    const sync = join(dir, 'config/services/synchronizer.yaml');
    await writeFile(
      sync,
      (await readFile(sync, 'utf8'))
        .replace('limit: 500', 'limit: 7')
        .replace('end_lag: 86400', 'end_lag: 86400\n  endlag: 5'),
    );
    await writeFile(join(dir, 'config/services/finder.yaml'), 'interval: "soon"\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax
    await writeFile(join(dir, 'config/services/api.yaml'), 'port: ${API_PORT}\n');
    await writeFile(join(dir, 'config/services/seeder.yaml'), 'seed: [unclosed\n');
    const r = await run(['config', 'check', '--deployment', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${sync}: processing.limit: Too small: expected number to be >=10 (got 7)`);
    expect(r.err).toContain(`${sync}: processing.endlag: unknown key`);
    expect(r.err).toMatch(/finder\.yaml: interval: .*expected number/);
    expect(r.err).toContain('api.yaml: (file): environment variable API_PORT is not set and has no default');
    expect(r.err).toMatch(/seeder\.yaml: \(file\): YAML syntax error/);
    expect(r.out).toContain('ok       ');
  });
});

describe('import and export', () => {
  const events = generateEvents(300, {
    seed: 11,
    kinds: [1, 7, 30023],
    createdAt: (i) => 1_700_000_000 + (i % 50),
    tags: (i) => [['t', `n${i}`]],
  });

  it('imports valid events with provenance and reports every bad line by number', async () => {
    const key = testSecretKey(11, 99);
    const victim = events[250] as (typeof events)[number];
    const badSig = `${victim.sig.slice(0, -1)}${victim.sig.endsWith('0') ? '1' : '0'}`;
    const lines = [
      ...events.slice(0, 200).map((e) => JSON.stringify(e)),
      'not json',
      JSON.stringify({ ...events[1], kind: 'one' }),
      JSON.stringify({ ...victim, sig: badSig }),
      // signed as they are: only the storable rule refuses them
      JSON.stringify(signEvent({ created_at: 1_700_000_000, kind: 1, tags: [], content: 'a\u0000b' }, key)),
      JSON.stringify(
        signEvent({ created_at: 1_700_000_000, kind: 1, tags: [['t', 'x'.repeat(3000)]], content: '' }, key),
      ),
      JSON.stringify(events[5]),
      '',
    ];
    const dir = await artifactDir('bb-import-');
    const file = join(dir, 'events.jsonl');
    await writeFile(file, lines.join('\n'));
    const r = await run(['import', file, '--relay', 'wss://archive.example.com'], dbEnv());
    expect(r.code).toBe(0);
    expect(r.out).toContain('line 201: not JSON');
    expect(r.out).toContain('line 202: kind must be an integer');
    expect(r.out).toContain('line 203: invalid signature');
    expect(r.out).toContain('line 204: null character in content');
    expect(r.out).toContain('line 205: tag value longer than 2048');
    expect(r.out.trim().split('\n').at(-1)).toBe('read=206 inserted=200 duplicates=1 invalid=5');
    const [counts] = await db.sql`SELECT (SELECT count(*) FROM event)::int AS events,
      (SELECT count(*) FROM event_relay WHERE relay_url = 'wss://archive.example.com')::int AS sightings`;
    expect(counts).toEqual({ events: 200, sightings: 200 });

    const again = await run(['import', file, '--relay', 'wss://mirror.example.com'], dbEnv());
    expect(again.out.trim().split('\n').at(-1)).toBe('read=206 inserted=0 duplicates=201 invalid=5');
    const [mirror] =
      await db.sql`SELECT count(*)::int AS n FROM event_relay WHERE relay_url = 'wss://mirror.example.com'`;
    expect(mirror?.n).toBe(200);
  });

  it('reads gzip, and keeps what came before a truncation while exiting 1', async () => {
    const dir = await artifactDir('bb-import-gz-');
    const gz = gzipSync(
      events
        .slice(200)
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    await writeFile(join(dir, 'cut.jsonl.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const cut = await run(
      ['import', join(dir, 'cut.jsonl.gz'), '--relay', 'wss://archive.example.com', '--batch-size', '10'],
      dbEnv(),
    );
    expect(cut.code).toBe(1);
    expect(cut.out).toContain('reading stopped early');
    const stored = Number(/inserted=(\d+)/.exec(cut.out)?.[1]);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(100);
    await writeFile(join(dir, 'all.jsonl.gz'), gz);
    const all = await run(['import', join(dir, 'all.jsonl.gz'), '--relay', 'wss://archive.example.com'], dbEnv());
    expect(all.out.trim().split('\n').at(-1)).toBe(`read=100 inserted=${100 - stored} duplicates=${stored} invalid=0`);
  });

  it('refuses an import without provenance', async () => {
    const r = await run(['import', 'whatever.jsonl'], dbEnv());
    expect(r.code).toBe(2);
    expect(r.err).toContain('--relay');
  });

  it('exports every event as valid JSONL, oldest first, filtered by kinds and time', async () => {
    const all = await run(['export'], dbEnv());
    expect(all.code).toBe(0);
    const lines = all.out.trim().split('\n');
    expect(lines).toHaveLength(300);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.every((e) => validateEvent(e).ok)).toBe(true);
    expect(Object.keys(parsed[0])).toEqual(['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig']);
    const sorted = [...parsed].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    expect(parsed).toEqual(sorted);
    const some = await run(['export', '--kinds', '7,30023', '--since', '1700000010', '--until', '1700000019'], dbEnv());
    const got = some.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const want = events.filter(
      (e) => [7, 30023].includes(e.kind) && e.created_at >= 1_700_000_010 && e.created_at <= 1_700_000_019,
    );
    expect(got.map((e) => e.id).sort()).toEqual(want.map((e) => e.id).sort());
    expect((await run(['export', '--kinds', 'x'], dbEnv())).code).toBe(2);
  });
});
