import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { artifactDir } from '../testing/artifacts.js';
import { embeddedSettings, startEmbeddedPostgres } from './embedded.js';

describe('embedded PostgreSQL', () => {
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
