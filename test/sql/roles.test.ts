import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../src/testing/vitest/db.js';

const db = useTestDatabase('bigbrotr');

/** Run `fn` as `role` inside a transaction that is always rolled back. */
async function asRole(role: string, statement: (tx: typeof db.sql) => Promise<unknown>): Promise<unknown> {
  try {
    await db.sql.begin(async (tx) => {
      await tx`SELECT set_config('role', ${role}, true)`;
      await statement(tx as unknown as typeof db.sql);
      throw new Error('rollback');
    });
  } catch (err) {
    if ((err as Error).message === 'rollback') return 'ok';
    return (err as { code?: string }).code;
  }
  return 'ok';
}

describe('roles', () => {
  it('reader can read but not write, even through the write functions', async () => {
    expect(await asRole('reader', (tx) => tx`SELECT count(*) FROM event`)).toBe('ok');
    expect(await asRole('reader', (tx) => tx`SELECT * FROM relay_stats`)).toBe('ok');
    expect(await asRole('reader', (tx) => tx`SELECT * FROM service_state_get('validator', 'checkpoint')`)).toBe('ok');
    expect(await asRole('reader', (tx) => tx`INSERT INTO relay VALUES ('wss://x.example.com', 'clearnet', 1)`)).toBe(
      '42501',
    );
    expect(await asRole('reader', (tx) => tx`UPDATE relay SET network = 'tor'`)).toBe('42501');
    expect(
      await asRole(
        'reader',
        (tx) => tx`SELECT relay_insert(${['wss://x.example.com']}::text[], ${['clearnet']}::text[], ${[1]}::bigint[])`,
      ),
    ).toBe('42501');
    expect(await asRole('reader', (tx) => tx`SELECT relay_stats_refresh()`)).toBe('42501');
    // service_state: the reader writes none of it; the DVM's role only its own rows (its processed requests),
    // the refresher only its own, through row-level security
    const upsert = (service: string) => (tx: typeof db.sql) =>
      tx`SELECT service_state_upsert(${[service]}::text[], ${['checkpoint']}::text[], ${['k']}::text[], ${['{}']}::text[]::jsonb[])`;
    expect(await asRole('reader', upsert('validator'))).toBe('42501');
    expect(await asRole('reader', upsert('dvm'))).toBe('42501');
    expect(await asRole('dvm', upsert('dvm'))).toBe('ok');
    expect(await asRole('dvm', upsert('validator'))).toBe('42501');
    expect(await asRole('refresher', upsert('monitor'))).toBe('42501');
    expect(await asRole('refresher', upsert('refresher'))).toBe('ok');
    await db.sql`INSERT INTO service_state VALUES ('validator', 'checkpoint', 'kept', '{}')`;
    expect(await asRole('reader', (tx) => tx`DELETE FROM service_state WHERE service_name = 'validator'`)).toBe(
      '42501',
    );
    // the DVM's role deletes nothing of another service (row-level security hides those rows from it)
    expect(await asRole('dvm', (tx) => tx`DELETE FROM service_state WHERE service_name = 'validator'`)).toBe('ok');
    expect(await db.sql`SELECT state_key FROM service_state WHERE service_name = 'validator'`).toEqual([
      { state_key: 'kept' },
    ]);
    expect(await asRole('refresher', (tx) => tx`SELECT orphan_event_delete(10)`)).toBe('ok');
    expect(await asRole('reader', (tx) => tx`SELECT orphan_event_delete(10)`)).toBe('42501');
    expect(await asRole('reader', (tx) => tx`SELECT orphan_metadata_delete(10)`)).toBe('42501');
  });

  it('writer can write; refresher can refresh the views it owns', async () => {
    expect(
      await asRole(
        'writer',
        (tx) => tx`SELECT relay_insert(${['wss://x.example.com']}::text[], ${['clearnet']}::text[], ${[1]}::bigint[])`,
      ),
    ).toBe('ok');
    expect(
      await asRole(
        'writer',
        (tx) =>
          tx`SELECT service_state_upsert(${['a']}::text[], ${['b']}::text[], ${['c']}::text[], ${['{}']}::text[]::jsonb[])`,
      ),
    ).toBe('ok');
    expect(await asRole('refresher', (tx) => tx`SELECT all_statistics_refresh()`)).toBe('ok');
    const owners = await db.sql`SELECT DISTINCT matviewowner FROM pg_matviews WHERE schemaname = 'public'`;
    expect(owners.map((o) => o.matviewowner)).toEqual(['refresher']);
  });
});
