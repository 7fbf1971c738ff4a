// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * PgBouncer with the shipped pgbouncer.ini in front of a real PostgreSQL (where a pgbouncer binary exists).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * PgBouncer with the shipped pgbouncer.ini in front of a real PostgreSQL (where a pgbouncer binary exists).
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { createDb } from '../src/core/db/pool.js';
import { artifactDirSync } from '../src/testing/artifacts.js';
import { createDatabase, dropDatabase, randomDatabaseName } from '../src/testing/databases.js';
import { dirOf, read } from '../src/testing/vitest/deployments.js';

/** A PgBouncer binary on this machine, if any (the stack runs it in a container). */
function findPgbouncer(): { path: string; version: string } | undefined {
  for (const path of ['pgbouncer', '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { path, version: r.stdout.split('\n')[0]?.trim() ?? path };
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const pgbouncer = findPgbouncer();
describe('PgBouncer with the shipped pgbouncer.ini', () => {
  it(
    pgbouncer
      ? `${pgbouncer.version} accepts the services' pool (startup parameters, SCRAM from the generated auth file, transaction pooling)`
      : 'PgBouncer: NOT RUN, no pgbouncer binary on this machine (pgbouncer.ini is checked statically above)',
    async () => {
      if (!pgbouncer) {
        if (process.env.CI === 'true') throw new Error('CI=true but pgbouncer is not installed (.ci/run installs it)');
        console.warn('pgbouncer is not installed: the shipped pgbouncer.ini was not run');
        expect(read(dirOf('bigbrotr'), 'pgbouncer', 'pgbouncer.ini')).toContain('pool_mode = transaction');
        return;
      }
      const adminUrl = new URL(inject('adminUrl'));
      const name = randomDatabaseName('pgb');
      await createDatabase(adminUrl.toString(), name, inject('templates').bigbrotr);
      const dir = artifactDirSync('pgbouncer-');
      const port = await freePort();
      // the shipped file, pointed at the test server (which logs PgBouncer in as its own admin user)
      const server = `host=${adminUrl.hostname} port=${adminUrl.port || 5432} dbname=${name} user=${decodeURIComponent(adminUrl.username)}${adminUrl.password ? ` password=${decodeURIComponent(adminUrl.password)}` : ''}`;
      const ini = read(dirOf('bigbrotr'), 'pgbouncer', 'pgbouncer.ini')
        .replace(/^bigbrotr = .*$/m, `bigbrotr = ${server}`)
        .replace(/^listen_addr = .*$/m, 'listen_addr = 127.0.0.1')
        .replace(/^listen_port = .*$/m, `listen_port = ${port}`)
        .replace(/^unix_socket_dir = .*$/m, `unix_socket_dir = ${dir}`)
        .replace(/^auth_file = .*$/m, `auth_file = ${dir}/auth/userlist.txt`);
      writeFileSync(join(dir, 'pgbouncer.ini'), ini);
      const env = {
        PATH: process.env.PATH ?? '',
        PGBOUNCER_AUTH_FILE: `${dir}/auth/userlist.txt`,
        DB_ADMIN_PASSWORD: 'admin-test',
        DB_WRITER_PASSWORD: 'writer "test"',
        DB_REFRESHER_PASSWORD: 'refresher-test',
        DB_READER_PASSWORD: 'reader-test',
        DB_DVM_PASSWORD: 'dvm-test',
      };
      const script = join(dirOf('bigbrotr'), 'pgbouncer', 'entrypoint.sh');
      const argv = ['/bin/sh', script, pgbouncer.path, join(dir, 'pgbouncer.ini')];
      // PgBouncer refuses to run as root
      const asRoot = process.getuid?.() === 0;
      if (asRoot) spawnSync('chown', ['-R', 'postgres', dir]);
      const child = asRoot
        ? spawn('runuser', [
            '-u',
            'postgres',
            '--',
            'env',
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
            ...argv,
          ])
        : spawn(argv[0] as string, argv.slice(1), { env });
      let log = '';
      child.stderr.on('data', (b: Buffer) => {
        log += b.toString();
      });
      child.stdout.on('data', (b: Buffer) => {
        log += b.toString();
      });
      const connect = (user: string, password: string, maxAttempts = 20) =>
        createDb(
          {
            host: '127.0.0.1',
            port,
            database: 'bigbrotr',
            user,
            password,
            applicationName: 'finder',
            statementTimeoutMs: 60_000,
            prepare: false,
            // the first attempts may come before PgBouncer listens
            retry: { maxAttempts, initialDelayMs: 100, maxDelayMs: 250 },
          },
          {},
        );
      try {
        const db = await connect('writer', 'writer "test"');
        try {
          const [row] =
            await db.sql`SELECT current_setting('application_name') AS app, current_setting('TimeZone') AS tz`;
          expect(row).toEqual({ app: 'finder', tz: 'UTC' });
          const [ins] =
            await db.sql`SELECT relay_insert(${['wss://pgbouncer.example']}::text[], ${['clearnet']}::text[], ${[1]}::bigint[]) AS n`;
          expect(ins?.n).toBe(1);
        } finally {
          await db.close();
        }
        await expect(connect('writer', 'wrong', 1)).rejects.toThrow();
        // the admin console (simple protocol only) reports what PgBouncer really runs
        const consoleSql = postgres({
          host: '127.0.0.1',
          port,
          database: 'pgbouncer',
          username: 'admin',
          password: 'admin-test',
          max: 1,
          fetch_types: false,
        });
        try {
          const config = await consoleSql.unsafe('SHOW CONFIG').simple();
          const value = (key: string) => config.find((r) => r.key === key)?.value;
          expect([value('pool_mode'), value('auth_type')]).toEqual(['transaction', 'scram-sha-256']);
        } finally {
          await consoleSql.end({ timeout: 5 });
        }
        expect(log).toContain('wrote');
      } finally {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
        await dropDatabase(adminUrl.toString(), name);
      }
    },
  );
});
