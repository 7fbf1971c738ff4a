/**
 * Least privilege of the deployment roles, checked over the whole catalog: `reader` (the API) writes nothing,
 * `dvm` writes only its own service_state rows, and both start every transaction read-only.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../src/testing/vitest/db.js';

const db = useTestDatabase('bigbrotr');
let as: Record<'reader' | 'dvm', postgres.Sql>;

beforeAll(() => {
  // SET ROLE at connection start: the role's grants apply (its login settings do not, see the last test)
  const connect = (role: string) => postgres(db.url, { max: 2, connection: { role }, onnotice: () => {} });
  as = { reader: connect('reader'), dvm: connect('dvm') };
});
afterAll(async () => {
  await Promise.all(Object.values(as).map((sql) => sql.end({ timeout: 5 })));
});

/** Every table of the public schema (partitions included), every materialized view, every write function. */
async function catalog() {
  const tables = await db.sql<{ name: string; col: string }[]>`
    SELECT c.relname AS name, (SELECT a.attname FROM pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                               ORDER BY a.attnum LIMIT 1) AS col
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`;
  const views = await db.sql<
    { name: string }[]
  >`SELECT matviewname AS name FROM pg_matviews WHERE schemaname = 'public'`;
  // volatile functions of the schema (not of an extension), with NULL arguments (1 for integers)
  const functions = await db.sql<{ name: string; call: string }[]>`
    SELECT p.oid::regprocedure::text AS name,
           format('SELECT %I(%s)', p.proname, coalesce((
             SELECT string_agg(CASE WHEN t = 'integer'::regtype THEN '1' ELSE 'NULL::' || format_type(t, NULL) END, ', ')
             FROM unnest(p.proargtypes::oid[]) t), '')) AS call
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.prokind = 'f' AND p.provolatile = 'v'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    ORDER BY 1`;
  return { tables, views, functions };
}

/** The SQLSTATE of running `statement` in a READ WRITE transaction (so only privileges can refuse it). */
async function stateOf(sql: postgres.Sql, statement: string): Promise<string> {
  try {
    await sql.begin('read write', (tx) => tx.unsafe(statement));
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

function writes(name: string, col: string): string[] {
  const t = `"${name}"`;
  return [
    `INSERT INTO ${t} DEFAULT VALUES`,
    `INSERT INTO ${t} SELECT * FROM ${t} LIMIT 0`,
    `UPDATE ${t} SET "${col}" = "${col}" WHERE false`,
    `DELETE FROM ${t} WHERE false`,
    `TRUNCATE ${t} CASCADE`,
  ];
}

describe('the reader role (API)', () => {
  it('is refused INSERT, UPDATE, DELETE and TRUNCATE on every table, service_state included', async () => {
    const { tables } = await catalog();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['event', 'event_p0', 'service_state', 'relay']));
    const refused: string[] = [];
    for (const { name, col } of tables)
      for (const statement of writes(name, col)) {
        const state = await stateOf(as.reader, statement);
        if (state !== '42501') refused.push(`${statement}: ${state}`);
      }
    expect(refused).toEqual([]);
  });

  it('is refused by every write function and every refresh, and cannot create objects', async () => {
    const { functions, views } = await catalog();
    expect(functions.length).toBeGreaterThanOrEqual(20);
    const results = await Promise.all(functions.map(async (f) => `${f.name}: ${await stateOf(as.reader, f.call)}`));
    expect(results.filter((r) => !r.endsWith(': 42501'))).toEqual([]);
    for (const { name } of views) expect(await stateOf(as.reader, `REFRESH MATERIALIZED VIEW "${name}"`)).toBe('42501');
    expect(await stateOf(as.reader, 'CREATE TABLE intruder (x int)')).toBe('42501');
  });
});

describe('the dvm role', () => {
  it('writes its own service_state rows and nothing else', async () => {
    await db.sql`DELETE FROM service_state`;
    await db.sql`INSERT INTO service_state VALUES ('validator', 'checkpoint', 'wss://v.example', '{}')`;
    const own = `SELECT service_state_upsert(ARRAY['dvm'], ARRAY['checkpoint'], ARRAY['cursor'], ARRAY['{"timestamp":1}'::jsonb])`;
    expect(await stateOf(as.dvm, own)).toBe('ok');
    expect(
      await stateOf(as.dvm, `UPDATE service_state SET state_value = '{"timestamp":2}' WHERE service_name = 'dvm'`),
    ).toBe('ok');
    // another service's rows: inserting is refused, updating and deleting reach no row
    const foreign = own.replace("ARRAY['dvm']", "ARRAY['validator']");
    expect(await stateOf(as.dvm, foreign)).toBe('42501');
    expect(
      await stateOf(as.dvm, `UPDATE service_state SET state_value = '{"x":1}' WHERE service_name = 'validator'`),
    ).toBe('ok');
    expect(await stateOf(as.dvm, `DELETE FROM service_state WHERE service_name = 'validator'`)).toBe('ok');
    expect(await db.sql`SELECT service_name, state_value FROM service_state ORDER BY 1`).toEqual([
      { service_name: 'dvm', state_value: { timestamp: 2 } },
      { service_name: 'validator', state_value: {} },
    ]);
    const { tables, functions } = await catalog();
    const refused: string[] = [];
    for (const { name, col } of tables.filter((t) => t.name !== 'service_state'))
      for (const statement of writes(name, col)) {
        const state = await stateOf(as.dvm, statement);
        if (state !== '42501') refused.push(`${statement}: ${state}`);
      }
    expect(refused).toEqual([]);
    const others = functions.filter((f) => !f.name.startsWith('service_state_'));
    const results = await Promise.all(others.map(async (f) => `${f.name}: ${await stateOf(as.dvm, f.call)}`));
    expect(results.filter((r) => !r.endsWith(': 42501'))).toEqual([]);
  });
});

describe('read-only sessions', () => {
  it('reader and dvm log in with every transaction read-only', async () => {
    for (const role of ['reader', 'dvm']) {
      // a real login as the role, so its role settings apply (with the admin URL's password, which the embedded
      // test server gives every role; a trust-auth server ignores it)
      const url = new URL(db.url);
      url.username = role;
      const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql`SELECT current_setting('default_transaction_read_only') AS ro`;
        expect(row?.ro, role).toBe('on');
        await expect(
          sql`SELECT service_state_upsert(ARRAY['dvm'], ARRAY['checkpoint'], ARRAY['x'], ARRAY['{}'::jsonb])`,
        ).rejects.toMatchObject({
          code: '25006',
        });
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
  });
});
