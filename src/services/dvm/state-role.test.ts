/** The DVM's state through its own login role: read-only sessions, explicit READ WRITE state writes. */
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { advanceCursor, loadDvmState, markAnswered, saveCursor } from './state.js';

const db = useTestDatabase('bigbrotr');
const clients: postgres.Sql[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
});

/**
 * A real login as `role`, so the role's settings apply: with the admin URL's password, which the embedded test
 * server gives every role (a trust-auth server ignores it).
 */
function login(role: string): postgres.Sql {
  const url = new URL(db.url);
  url.username = role;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  clients.push(sql);
  return sql;
}

describe('the DVM state as the dvm role', () => {
  it('writes its rows in READ WRITE transactions of a read-only session; reader cannot', async () => {
    await db.sql`DELETE FROM service_state`;
    const dvm = login('dvm');
    expect((await dvm`SELECT current_setting('default_transaction_read_only') AS ro`)[0]?.ro).toBe('on');
    const state = await loadDvmState(dvm);
    await saveCursor(dvm, state);
    await markAnswered(dvm, state, 'a'.repeat(64), 1800);
    await markAnswered(dvm, state, 'c'.repeat(64), 1000); // past the overlap: advanceCursor deletes it
    await advanceCursor(dvm, state, 2000, { overlap: 300, initialLookback: 3600, maxIds: 10 });
    const rows = await db.sql`SELECT service_name, state_key FROM service_state ORDER BY state_key`;
    expect(rows).toEqual([
      { service_name: 'dvm', state_key: 'cursor' },
      { service_name: 'dvm', state_key: `request:${'a'.repeat(64)}` },
    ]);
    expect((await loadDvmState(dvm)).cursor).toBe(2000);
    const reader = login('reader');
    await expect(saveCursor(reader, state)).rejects.toMatchObject({ code: '42501' });
    await expect(markAnswered(reader, state, 'b'.repeat(64), 1000)).rejects.toMatchObject({ code: '42501' });
  });
});
