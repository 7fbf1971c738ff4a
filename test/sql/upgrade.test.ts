/**
 * `db init` on a database made by an older BigBrotr release: two-digit partition names, a named parameter of
 * tags_to_tagvalues, older index names (alone, or next to the reference's name), an older view definition.
 * The init brings it to the reference's catalog facts and keeps the data.
 */
import { describe, expect, it } from 'vitest';
import { initDatabase } from '../../src/core/db/schema.js';
import { initSqlDir } from '../../src/testing/databases.js';
import { useTestDatabase } from '../../src/testing/vitest/db.js';
import { catalogFacts, referenceFacts } from './catalog-facts.js';
import { ev, insertCascade } from './helpers.js';

const db = useTestDatabase('bigbrotr');

describe('db init on an older BigBrotr schema', () => {
  it('renames, replaces and recreates what differs, and keeps the data', async () => {
    const { sql } = db;
    await insertCascade(sql, [ev(1, { tags: [['t']] }), ev(2)]);
    await sql
      .unsafe(`
      DO $$ BEGIN
        FOR i IN 0..9 LOOP
          EXECUTE format('ALTER TABLE %I RENAME TO %I', 'event_p' || i, 'event_p0' || i);
          EXECUTE format('ALTER TABLE %I RENAME TO %I', 'event_relay_p' || i, 'event_relay_p0' || i);
        END LOOP;
      END $$;
      DROP FUNCTION tags_to_tagvalues(jsonb);
      CREATE FUNCTION tags_to_tagvalues(p_tags jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT '{}'::text[] $$;
      ALTER INDEX idx_event_tagvalues RENAME TO event_tagvalues_idx;
      ALTER INDEX idx_relay_stats_relay_url RENAME TO relay_stats_key;
      CREATE UNIQUE INDEX kind_counts_key ON kind_counts (kind);
      CREATE INDEX service_state_network_idx ON service_state ((state_value ->> 'network'));
      DROP MATERIALIZED VIEW event_stats;
      CREATE MATERIALIZED VIEW event_stats AS SELECT 1 AS id, count(*) AS event_count FROM event;
      CREATE UNIQUE INDEX event_stats_key ON event_stats (id);`)
      .simple();

    const dir = initSqlDir(process.cwd(), 'bigbrotr');
    await initDatabase(sql, dir);
    await initDatabase(sql, dir);
    expect(await catalogFacts(sql)).toEqual(referenceFacts('bigbrotr'));
    const old = await sql`SELECT relname FROM pg_class WHERE relname IN ('event_p00', 'event_relay_p09',
      'event_tagvalues_idx', 'relay_stats_key', 'kind_counts_key', 'service_state_network_idx', 'event_stats_key')`;
    expect(old).toEqual([]);
    const [n] = await sql`SELECT count(*)::int AS n FROM event`;
    expect(n?.n).toBe(2);
    await sql`SELECT all_statistics_refresh()`;
    const [stats] = await sql`SELECT singleton_key, event_count FROM event_stats`;
    expect([stats?.singleton_key, Number(stats?.event_count)]).toEqual([1, 2]);
  });
});
