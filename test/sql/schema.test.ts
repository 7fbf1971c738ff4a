import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactDirSync } from '../../src/testing/artifacts.js';
import { applySqlDir, initSqlDir } from '../../src/testing/databases.js';
import { useTestDatabase } from '../../src/testing/vitest/db.js';

const db = useTestDatabase('bigbrotr');
const repoRoot = process.cwd();

/** The SQLSTATE of the error `p` rejects with, or 'ok'. */
async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('bigbrotr schema', () => {
  it('applies a second time to the same database without error (idempotent init)', async () => {
    await applySqlDir(db.url, initSqlDir(repoRoot, 'bigbrotr'));
    const [p] = await db.sql`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'event'::regclass`;
    expect(p?.n).toBe(16);
    const owners = await db.sql`SELECT DISTINCT matviewowner FROM pg_matviews WHERE schemaname = 'public'`;
    expect(owners.map((o) => o.matviewowner)).toEqual(['refresher']);
    const [v] = await db.sql`SELECT count(*)::int AS n FROM pg_matviews WHERE schemaname = 'public'`;
    expect(v?.n).toBe(13);
  });

  it('compresses tags and content with lz4 on every event partition where the server supports it', async () => {
    const [lz4] = await db.sql`SELECT 'lz4' = ANY(enumvals) AS ok FROM pg_settings
      WHERE name = 'default_toast_compression'`;
    const rows = await db.sql`SELECT DISTINCT a.attcompression::text AS c FROM pg_attribute a
      JOIN pg_inherits i ON i.inhrelid = a.attrelid
      WHERE i.inhparent = 'event'::regclass AND a.attname IN ('tags', 'content')`;
    expect(rows.map((r) => r.c)).toEqual([lz4?.ok ? 'l' : '']);
  });

  it('orphan deletes refuse a batch size below 1 instead of looping forever', async () => {
    expect(await codeOf(db.sql`SELECT orphan_event_delete(0)`)).toBe('22023');
    expect(await codeOf(db.sql`SELECT orphan_metadata_delete(${null}::int)`)).toBe('22023');
    const [d] = await db.sql`SELECT orphan_event_delete() AS e, orphan_metadata_delete() AS m`;
    expect(d).toEqual({ e: 0, m: 0 });
  });

  // Last in this file: it breaks the schema of this file's database on purpose.
  it('the verify step passes on a complete schema and names what is missing', async () => {
    const verify = readFileSync(join(initSqlDir(repoRoot, 'bigbrotr'), '99_verify.sql'), 'utf8');
    expect(await codeOf(db.sql.unsafe(verify).simple())).toBe('ok');
    await db.sql`DROP INDEX idx_supported_nip_counts_nip`;
    await db.sql`DROP FUNCTION kind_counts_refresh()`;
    const err = await db.sql
      .unsafe(verify)
      .simple()
      .then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
    expect(err?.code).toBe('P0001');
    expect(err?.message).toContain('unique index of supported_nip_counts');
    expect(err?.message).toContain('kind_counts_refresh()');
  });
});

describe('the SQL drift check', () => {
  it('fails and names the files when a generated file differs, is missing or is extra', () => {
    const dir = artifactDirSync('build-sql-');
    try {
      cpSync(join(repoRoot, 'scripts', 'build-sql.js'), join(dir, 'scripts', 'build-sql.js'));
      cpSync(join(repoRoot, 'deployments', 'sql'), join(dir, 'deployments', 'sql'), { recursive: true });
      const script = join(dir, 'scripts', 'build-sql.js');
      execFileSync('node', [script], { encoding: 'utf8' });
      expect(spawnSync('node', [script, '--check']).status).toBe(0);
      const init = (d: string) => join(dir, 'deployments', d, 'postgres', 'init');
      writeFileSync(join(init('lilbrotr'), '03_tables.sql'), '-- edited by hand\n');
      rmSync(join(init('bigbrotr'), '08_indexes.sql'));
      writeFileSync(join(init('bigbrotr'), '50_extra.sql'), 'SELECT 1;\n');
      const r = spawnSync('node', [script, '--check'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('differs from its source: deployments/lilbrotr/postgres/init/03_tables.sql');
      expect(r.stderr).toContain('missing: deployments/bigbrotr/postgres/init/08_indexes.sql');
      expect(r.stderr).toContain('extra (no source): deployments/bigbrotr/postgres/init/50_extra.sql');
      execFileSync('node', [script], { encoding: 'utf8' });
      expect(spawnSync('node', [script, '--check']).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
