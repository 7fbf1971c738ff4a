import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { insertCandidates } from '../core/db/candidates.js';
import { freePort } from '../core/embedded.js';
import { validateEvent } from '../models/event.js';
import type { RelayUrl } from '../models/relay.js';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { captureIo } from '../testing/cli-io.js';
import { createDatabase, dropDatabase, randomDatabaseName } from '../testing/databases.js';
import { generateEvents, signEvent, testSecretKey } from '../testing/events.js';
import { startTestRelay } from '../testing/relay/relay.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { main } from './main.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const db = useTestDatabase('bigbrotr');

const dbEnv = (): Record<string, string> => cliDatabaseEnv(db.url);

async function run(
  argv: string[],
  env: Record<string, string> = {},
  stdin = '',
  stop = new AbortController().signal,
): Promise<{ code: number; out: string; err: string }> {
  const captured = captureIo(env, { stdin, stop });
  const code = await main(argv, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

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
    const dir = await mkdtemp(join(tmpdir(), 'bb-config-'));
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
    const dir = await mkdtemp(join(tmpdir(), 'bb-import-'));
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
    const dir = await mkdtemp(join(tmpdir(), 'bb-import-gz-'));
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

describe('database commands', () => {
  it('creates the lilbrotr schema in an empty database with db init', async () => {
    const name = randomDatabaseName('t_cli_init');
    const url = await createDatabase(inject('adminUrl'), name);
    try {
      const u = new URL(url);
      const r = await run(['db', 'init', '--deployment', 'deployments/lilbrotr'], {
        ...dbEnv(),
        DB_NAME: u.pathname.slice(1),
      });
      expect(r.out).toContain('schema of lilbrotr applied');
      expect(r.out).toContain('is complete (lilbrotr)');
      expect(r.code).toBe(0);
    } finally {
      await dropDatabase(inject('adminUrl'), name);
    }
  });

  it('runs up on the embedded database and stops cleanly when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bb-up-'));
    const stop = new AbortController();
    // a deployment whose seeds and networks reach nothing outside this machine
    const deployment = join(dir, 'deployment');
    await cp(join(repo, 'deployments/bigbrotr'), deployment, { recursive: true });
    await writeFile(join(deployment, 'static/seed_relays.txt'), `# offline\nws://${'d'.repeat(56)}.onion\n`);
    const validatorYaml = join(deployment, 'config/services/validator.yaml');
    await writeFile(
      validatorYaml,
      (await readFile(validatorYaml, 'utf8')).replace('clearnet: {enabled: true', 'clearnet: {enabled: false'),
    );
    const captured = captureIo(
      { BIGBROTR_DATA_DIR: join(dir, 'pg'), API_PORT: String(await freePort()) },
      { stop: stop.signal },
    );
    const io = captured.io;
    const running = main(['up', '--deployment', deployment], io);
    let exited = false;
    void running.finally(() => {
      exited = true;
    });
    // stop once every continuous service has completed a cycle (or after a minute, failing below)
    const services = ['finder', 'validator', 'monitor', 'synchronizer', 'refresher', 'api', 'dvm'];
    const started = Date.now();
    while (
      !exited &&
      Date.now() - started < 60_000 &&
      !services.every((s) => captured.err().includes(`${s}: cycle_completed`))
    )
      await sleep(100);
    stop.abort();
    expect(await running).toBe(0);
    const err = captured.err();
    expect(err).toContain('up_ready');
    expect(err).toContain('embedded=true');
    expect(err).toContain('services=seeder,finder,validator,monitor,synchronizer,refresher,api,dvm');
    for (const s of services) expect(err).toContain(`${s}: cycle_completed`);
    expect(err).toContain('signing_key_generated');
    expect(err).toMatch(/finder: cycle_completed .*events_relaysSeen=/);
    expect(err).toMatch(/seeder: cycle_completed valid=1 invalid=0 inserted=1/);
    expect(err).toContain('up_stopping');
    expect(err).toMatch(/up_stopped seeder=0 services=0,0,0,0,0,0,0/);
  }, 90_000);

  it('runs monitor --once with its key, the packaged GeoIP fallback and a local relay', async () => {
    const relay = await startTestRelay();
    try {
      await db.sql`DELETE FROM relay`;
      await db.sql`INSERT INTO relay (url, network, discovered_at) VALUES (${relay.url}, 'local', 1)`;
      const dir = await mkdtemp(join(tmpdir(), 'bb-monitor-'));
      const config = join(dir, 'monitor.yaml');
      await writeFile(
        config,
        'networks:\n  local: {enabled: true, timeout: 3}\ngeo:\n  city_database_path: missing-city.mmdb\n  asn_database_path: missing-asn.mmdb\n',
      );
      const key = '11'.repeat(32);
      const r = await run(['monitor', '--once', '--config', config], { ...dbEnv(), NOSTR_PRIVATE_KEY: key });
      expect(r.err).toContain('geo_database_missing');
      expect(r.err).toContain('geo_database_default');
      expect(r.err).toMatch(/monitor: cycle_completed total=1 succeeded=1 failed=0/);
      expect(r.code).toBe(0);
      const types = await db.sql`SELECT metadata_type FROM relay_metadata WHERE relay_url = ${relay.url} ORDER BY 1`;
      expect(types.map((t) => t.metadata_type)).toEqual(['nip11_info', 'nip66_http', 'nip66_rtt']);
    } finally {
      await relay.close();
    }
  });

  it('runs seeder --once on the shipped list and validator --once promoting a local relay', async () => {
    const seeded = await run(['seeder', '--once'], dbEnv());
    expect(seeded.code).toBe(0);
    expect(seeded.err).toMatch(/seeder: cycle_completed valid=7472 invalid=1390 inserted=7472/);
    await db.sql`DELETE FROM service_state`;
    const relay = await startTestRelay();
    try {
      await insertCandidates(db.sql, [{ url: relay.url as RelayUrl, network: 'local' }], 1);
      const dir = await mkdtemp(join(tmpdir(), 'bb-validator-'));
      const config = join(dir, 'validator.yaml');
      await writeFile(config, 'networks:\n  clearnet: {enabled: false}\n  local: {enabled: true, timeout: 5}\n');
      const validated = await run(['validator', '--once', '--config', config], dbEnv());
      expect(validated.code).toBe(0);
      expect(validated.err).toMatch(/validator: cycle_completed total=1 valid=1 failed=0/);
      expect(await db.sql`SELECT url, discovered_at FROM relay WHERE url = ${relay.url}`).toEqual([
        { url: relay.url, discovered_at: '1' },
      ]);
      // the runner's last-cycle row, for the dashboard's pipeline panel
      const [cycle] = await db.sql`SELECT state_value FROM service_state
        WHERE service_name = 'validator' AND state_type = 'cycle' AND state_key = 'last'`;
      expect(cycle?.state_value).toMatchObject({ outcome: 'ok' });
    } finally {
      await relay.close();
    }
  });

  it('verifies a complete database', async () => {
    const r = await run(['db', 'verify'], dbEnv());
    expect(r.out).toContain('is complete');
    expect(r.code).toBe(0);
  });

  it('reports an unreachable server with host and port, after retrying, without a stack trace', async () => {
    const r = await run(['db', 'verify', '--log-level', 'error'], {
      ...dbEnv(),
      DB_HOST: '127.0.0.1',
      DB_PORT: '1',
      DB_ADMIN_PASSWORD: 'secret-pw',
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot reach PostgreSQL at 127.0.0.1:1');
    expect(r.err).toContain('after 3 attempts');
    expect(r.err).not.toContain('secret-pw');
    expect(r.err).not.toMatch(/\n\s+at /);
  }, 60_000);
});
