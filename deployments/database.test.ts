// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * The database files of each deployment against a real PostgreSQL (the init SQL, the exporter's queries as the
 * reader role, postgresql.conf) and the PgBouncer entrypoint script.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * The database files of each deployment against a real PostgreSQL (the init SQL, the exporter's queries as the
 * reader role, postgresql.conf) and the PgBouncer entrypoint script.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { artifactDirSync } from '../src/testing/artifacts.js';
import { applySqlDir, createDatabase, dropDatabase, initSqlDir, randomDatabaseName } from '../src/testing/databases.js';
import { DEPLOYMENTS, dirOf, read, root } from '../src/testing/vitest/deployments.js';

// ---- SQL, exporter queries, postgresql.conf ------------------------------------------------------------

describe.each(DEPLOYMENTS)('%s: database files', (d) => {
  it('the init SQL applies to a fresh database (99_verify passes), again on top (db-init reruns it), and the exporter queries run as reader', async () => {
    const adminUrl = inject('adminUrl');
    const name = randomDatabaseName(`deploy_${d}`);
    const url = await createDatabase(adminUrl, name);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await applySqlDir(url, initSqlDir(root, d));
      await applySqlDir(url, initSqlDir(root, d));
      const [tables] = await sql`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
      expect(tables?.n).toBeGreaterThanOrEqual(6 + 2 * 16);
      const queries = parseYaml(read(dirOf(d), 'monitoring', 'postgres-exporter', 'queries.yaml')) as Record<
        string,
        { query: string; metrics: Array<Record<string, unknown>> }
      >;
      for (const [prefix, q] of Object.entries(queries)) {
        const columns = await sql.begin(async (tx) => {
          await tx`SET LOCAL ROLE reader`;
          const rows = await tx.unsafe(q.query);
          return rows.columns.map((c) => c.name);
        });
        expect(columns.sort(), prefix).toEqual(q.metrics.map((m) => Object.keys(m)[0]).sort());
      }
    } finally {
      await sql.end({ timeout: 5 });
      await dropDatabase(adminUrl, name);
    }
  });

  const conf = read(dirOf(d), 'postgres', 'postgresql.conf');
  const settings = [...conf.matchAll(/^([a-z_.]+)\s*=\s*('[^']*'|\S+)/gm)].map(
    (m) => [m[1] ?? '', m[2] ?? ''] as const,
  );

  it('postgresql.conf sets only parameters the server knows, preloads pg_stat_statements and listens on the network', async () => {
    const sql = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
    try {
      const known = new Set((await sql`SELECT lower(name) AS name FROM pg_settings`).map((r) => r.name as string));
      const unknown = settings.map(([k]) => k).filter((k) => !known.has(k) && !k.startsWith('pg_stat_statements.'));
      expect(unknown).toEqual([]);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const value = Object.fromEntries(settings);
    expect(value.shared_preload_libraries).toContain('pg_stat_statements');
    expect(value.listen_addresses).toBe("'*'");
    expect(new Set(settings.map(([k]) => k)).size).toBe(settings.length);
  });

  const binary = findPostgresBinary();
  it(
    binary
      ? `postgresql.conf is accepted by ${binary.version} (postgres -C, every value checked)`
      : 'postgresql.conf: postgres -C NOT RUN, no PostgreSQL server binary here (names checked against pg_settings above)',
    () => {
      if (!binary) {
        console.warn(`[${d}] postgresql.conf values were not checked: no postgres binary found`);
        expect(settings.length).toBeGreaterThan(20);
        return;
      }
      const r = checkConfWithBinary(binary.path, join(dirOf(d), 'postgres', 'postgresql.conf'));
      expect(r.stderr).not.toMatch(/invalid value|unrecognized configuration parameter|FATAL/);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+$/);
    },
  );
});

/** A PostgreSQL server binary built like the Docker image's (Debian/PGDG, with lz4), if one is installed. */
function findPostgresBinary(): { path: string; version: string } | undefined {
  const bindir = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [
    ...(bindir.status === 0 ? [join(bindir.stdout.trim(), 'postgres')] : []),
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/postgres`)
      : []),
  ];
  for (const path of candidates) {
    const r = existsSync(path) ? spawnSync(path, ['--version'], { encoding: 'utf8' }) : undefined;
    if (r?.status === 0) return { path, version: r.stdout.trim() };
  }
  return undefined;
}

/** `postgres -C shared_buffers` with the file as config_file: parses and validates every setting. */
function checkConfWithBinary(binary: string, confFile: string) {
  const dir = artifactDirSync('pgconf-');
  try {
    copyFileSync(confFile, join(dir, 'postgresql.conf'));
    const args = ['-D', dir, '-c', `config_file=${join(dir, 'postgresql.conf')}`, '-C', 'shared_buffers'];
    // PostgreSQL refuses to run as root, even to print a setting
    if (process.getuid?.() !== 0) return spawnSync(binary, args, { encoding: 'utf8' });
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0) throw new Error('running as root and no postgres user to run the server binary as');
    chownSync(dir, Number(uid.stdout), Number(gid.stdout));
    chownSync(join(dir, 'postgresql.conf'), Number(uid.stdout), Number(gid.stdout));
    return spawnSync('runuser', ['-u', 'postgres', '--', binary, ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- PgBouncer entrypoint, Dockerfile, systemd ---------------------------------------------------------

describe('PgBouncer entrypoint', () => {
  const script = join(dirOf('bigbrotr'), 'pgbouncer', 'entrypoint.sh');
  const passwords = {
    DB_ADMIN_PASSWORD: 'a"dmin pw',
    DB_WRITER_PASSWORD: 'w',
    DB_REFRESHER_PASSWORD: 'r',
    DB_READER_PASSWORD: 'rd',
    DB_DVM_PASSWORD: 'dv',
  };

  it('writes the auth file from the environment (quotes doubled, mode 0600) and then runs the command', () => {
    const dir = artifactDirSync('pgb-');
    const file = join(dir, 'sub', 'userlist.txt');
    try {
      const r = spawnSync('/bin/sh', [script, 'cat', file], {
        env: { PATH: process.env.PATH ?? '', PGBOUNCER_AUTH_FILE: file, DB_READER_USER: 'ro', ...passwords },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('"admin" "a""dmin pw"\n"writer" "w"\n"refresher" "r"\n"ro" "rd"\n"dvm" "dv"\n');
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start when a password is missing, naming the variable', () => {
    const dir = artifactDirSync('pgb-');
    try {
      const { DB_REFRESHER_PASSWORD: _, ...rest } = passwords;
      const r = spawnSync('/bin/sh', [script, 'true'], {
        env: { PATH: process.env.PATH ?? '', PGBOUNCER_AUTH_FILE: join(dir, 'u.txt'), ...rest },
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('DB_REFRESHER_PASSWORD is not set');
      expect(existsSync(join(dir, 'u.txt'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
