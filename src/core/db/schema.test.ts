import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { initDatabase, verifyDatabase } from './schema.js';

const big = useTestDatabase('bigbrotr');
const lil = useTestDatabase('lilbrotr');
const initDir = fileURLToPath(new URL('../../../deployments/bigbrotr/postgres/init', import.meta.url));

describe('db init and verify', () => {
  it('reports both deployments complete, and init is idempotent', async () => {
    expect(await verifyDatabase(big.sql)).toEqual({ ok: true, missing: [] });
    expect(await verifyDatabase(lil.sql)).toEqual({ ok: true, missing: [] });
    expect((await initDatabase(big.sql, initDir)).length).toBeGreaterThan(5);
    expect(await verifyDatabase(big.sql)).toEqual({ ok: true, missing: [] });
  });

  it('names exactly what is missing or different', async () => {
    await big.sql`DROP FUNCTION orphan_event_delete(integer)`;
    await big.sql`DROP MATERIALIZED VIEW supported_nip_counts`;
    await big.sql`ALTER TABLE service_state RENAME COLUMN state_value TO value`;
    const result = await verifyDatabase(big.sql);
    expect(result.ok).toBe(false);
    expect(result.missing.sort()).toEqual(
      [
        'column service_state.state_value',
        'function orphan_event_delete(integer)',
        'materialized view supported_nip_counts',
      ].sort(),
    );
  });
});
