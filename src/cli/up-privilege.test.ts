/**
 * `bigbrotr up` on the embedded server runs no service as the superuser: each service's sessions (named by
 * its application_name) belong to its deployment role, the role passwords stay in the data folder (mode 0600)
 * and never reach the output, and the API serves as `reader` on read-only transactions.
 */
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { freePort } from '../core/embedded.js';
import { artifactDir } from '../testing/artifacts.js';
import { captureIo } from '../testing/cli-io.js';
import { main } from './main.js';
import { SERVICE_ROLES } from './service-db.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

describe('up on the embedded server', () => {
  it('connects every service as its deployment role, never as the superuser', async () => {
    const dir = await artifactDir('bb-up-roles-');
    const deployment = join(dir, 'deployment');
    await cp(join(repo, 'deployments/bigbrotr'), deployment, { recursive: true });
    // seeds and networks that reach nothing outside this machine
    await writeFile(join(deployment, 'static/seed_relays.txt'), `# offline\nws://${'d'.repeat(56)}.onion\n`);
    const apiPort = await freePort();
    const stop = new AbortController();
    const captured = captureIo(
      { BIGBROTR_DATA_DIR: join(dir, 'pg'), API_PORT: String(apiPort) },
      { stop: stop.signal },
    );
    const running = main(['up', '--deployment', deployment], captured.io);
    let exited = false;
    void running.finally(() => {
      exited = true;
    });
    let admin: postgres.Sql | undefined;
    try {
      const services = Object.keys(SERVICE_ROLES).filter((s) => s !== 'seeder');
      const started = Date.now();
      while (
        !exited &&
        Date.now() - started < 90_000 &&
        !services.every((s) => captured.err().includes(`${s}: cycle_completed`))
      )
        await sleep(100);
      expect(exited, captured.err()).toBe(false);
      const target = /up_ready .*database=(\S+)/.exec(captured.err())?.[1];
      expect(target, captured.err()).toBeDefined();
      const password = (await readFile(join(dir, 'pg.password'), 'utf8')).trim();
      admin = postgres(`postgres://postgres:${encodeURIComponent(password)}@${target}`, { max: 1, onnotice: () => {} });
      const sessions = await admin<{ app: string; role: string; superuser: boolean }[]>`
        SELECT a.application_name AS app, a.usename AS role, r.rolsuper AS superuser
        FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
        WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()`;
      for (const [service, role] of Object.entries(SERVICE_ROLES)) {
        const own = sessions.filter((s) => s.app === service);
        expect(own.length, `${service} has a session`).toBeGreaterThan(0);
        for (const s of own) expect(s, service).toEqual({ app: service, role, superuser: false });
      }
      // the only superuser session is the CLI's own (named so), which prepared the database
      expect(sessions.filter((s) => s.superuser).map((s) => s.app)).toEqual(
        expect.not.arrayContaining(Object.keys(SERVICE_ROLES)),
      );
      // the API answers as reader
      const res = await fetch(`http://127.0.0.1:${apiPort}/v1/relay?limit=1`);
      expect(res.status).toBe(200);
      // the role passwords: generated, kept beside the data directory (0600), never printed
      const roles = JSON.parse(await readFile(join(dir, 'pg.roles'), 'utf8')) as Record<string, string>;
      expect(Object.keys(roles).sort()).toEqual(['dvm', 'reader', 'refresher', 'writer']);
      expect((await stat(join(dir, 'pg.roles'))).mode & 0o777).toBe(0o600);
      for (const secret of [...Object.values(roles), password]) expect(captured.err()).not.toContain(secret);
    } finally {
      await admin?.end({ timeout: 5 });
      stop.abort();
      await running;
    }
    expect(await running).toBe(0);
  }, 150_000);
});
