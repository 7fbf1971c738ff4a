import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded.js';

describe('embedded PostgreSQL', () => {
  it('initialises a data directory, serves queries, and keeps the data across restarts', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'bb-embedded-')), 'pg');
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
      await sql.end();
    } finally {
      await second.stop();
    }
  }, 120_000);
});
