import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../src/testing/vitest/db.js';
import { ev, hex32, insertCascade } from './helpers.js';

const db = useTestDatabase('lilbrotr');

describe('lilbrotr', () => {
  it('stores no tags, content or sig but computes tagvalues, with the same function signatures', async () => {
    const { sql } = db;
    const e = ev(1, {
      kind: 30000,
      tags: [
        ['d', 'x'],
        ['p', hex32(2)],
      ],
    });
    expect(await insertCascade(sql, [e])).toBe(1);
    const [row] = await sql`SELECT tags, content, sig, tagvalues, kind FROM event`;
    expect(row).toEqual({ tags: null, content: null, sig: null, tagvalues: ['d:x', `p:${hex32(2)}`], kind: 30000 });
    await sql`SELECT all_statistics_refresh()`;
    const [addr] = await sql`SELECT d_tag, content FROM events_addressable_latest`;
    // tags are not stored: d_tag comes from the first 'd:' entry of tagvalues
    expect(addr).toEqual({ d_tag: 'x', content: null });
  });

  it('has no compression set on the event columns', async () => {
    const rows = await db.sql`SELECT attcompression FROM pg_attribute
      WHERE attrelid = 'event_p0'::regclass AND attname IN ('tags', 'content')`;
    expect(rows.map((r) => r.attcompression)).toEqual(['', '']);
  });
});

describe('the SQL drift check', () => {
  it('passes on the committed files', async () => {
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync('node', ['scripts/build-sql.js', '--check'], { encoding: 'utf8' })).toMatch(/SQL in sync/);
  });
});
