/**
 * The CLI's database commands and services in process: db init, up on the embedded database, monitor and
 * validator --once, and an unreachable server reported without a stack trace or its password.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { insertCandidates } from '../core/db/candidates.js';
import { freePort } from '../core/embedded.js';
import type { RelayUrl } from '../models/relay.js';
import { artifactDir } from '../testing/artifacts.js';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { captureIo } from '../testing/cli-io.js';
import { createDatabase, dropDatabase, randomDatabaseName } from '../testing/databases.js';
import { startTestRelay } from '../testing/relay/relay.js';
import { REPO, runCli } from '../testing/vitest/cli-run.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { main } from './main.js';

const repo = REPO;
const run = runCli;
const db = useTestDatabase('bigbrotr');

const dbEnv = (): Record<string, string> => cliDatabaseEnv(db.url);

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
    const dir = await artifactDir('bb-up-');
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
      const dir = await artifactDir('bb-monitor-');
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
      const dir = await artifactDir('bb-validator-');
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
