import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { countCandidates } from '../../core/db/candidates.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { seederConfigSchema } from './config.js';
import { createSeeder, parseSeedList } from './seeder.js';

const db = useTestDatabase('bigbrotr');
const seedPath = new URL('../../../deployments/bigbrotr/static/seed_relays.txt', import.meta.url);

describe('parseSeedList', () => {
  it('skips blanks and comments, reports invalid lines with their number, collapses duplicates', () => {
    const text =
      '# comment\n\nwss://a.example.com\nnot a url\nWSS://A.example.com/\nwss://10.0.0.1\r\nwss://b.example.com';
    const parsed = parseSeedList(text);
    expect(parsed.relays.map((r) => r.url)).toEqual(['wss://a.example.com', 'wss://b.example.com']);
    expect(parsed.invalid.map((i) => i.line)).toEqual([4, 6]);
  });

  it('survives hostile lines: control characters, %0A paths, private IPs, absurd lengths', () => {
    const lines = [
      'wss://exa\u0001mple.com',
      'wss://c.example.com/x%0Ay',
      'wss://192.168.1.1',
      `wss://${'a'.repeat(100_000)}.com`,
    ];
    const parsed = parseSeedList(lines.join('\n'));
    expect(parsed.relays.map((r) => r.url)).toEqual(['wss://c.example.com']);
    expect(parsed.invalid.map((i) => [i.line, i.reason])).toEqual([
      [1, 'whitespace, control character or backslash in host'],
      [3, 'local addresses not allowed'],
      [4, 'invalid host'],
    ]);
    expect(parsed.invalid[2]?.text.length).toBe(200);
  });
});

describe('seeder', () => {
  it('turns the full shipped seed list into candidates, once', async () => {
    const text = await readFile(seedPath, 'utf8');
    const expected = parseSeedList(text);
    const deps = { ...recordingDeps(db.sql, { now: () => 1_000 }), readSeedFile: async () => text };
    const seeder = createSeeder(deps, seederConfigSchema.parse({}));
    await seeder.cycle(new AbortController().signal);
    expect(await countCandidates(db.sql)).toBe(expected.relays.length);
    // 8,865 lines: 1,389 local addresses and 1 invalid host rejected, 3 duplicates collapsed
    expect([expected.relays.length, expected.invalid.length]).toEqual([7_472, 1_390]);
    expect(deps.gauges.get('relays_inserted')).toBe(expected.relays.length);
    expect(deps.logs.filter((l) => l.message === 'seed_line_invalid')).toHaveLength(expected.invalid.length);
    // the operator sees one line, by reason; each rejected line is at debug
    expect(deps.logs.filter((l) => l.message === 'seed_line_invalid' && l.level !== 'debug')).toHaveLength(0);
    const rejected = deps.logs.filter((l) => l.message === 'seed_lines_rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.fields).toMatchObject({
      lines: 1_390,
      reasons: { 'local addresses not allowed': 1_389, 'invalid host': 1 },
    });
    await seeder.cycle(new AbortController().signal); // again: nothing new
    expect(deps.gauges.get('relays_inserted')).toBe(0);
    await db.sql`DELETE FROM service_state`;
  });

  it('inserts relays directly when to_validate is false', async () => {
    const deps = { ...recordingDeps(db.sql, { now: () => 42 }), readSeedFile: async () => 'wss://x.example.com\n' };
    await createSeeder(deps, seederConfigSchema.parse({ seed: { to_validate: false } })).cycle(
      new AbortController().signal,
    );
    expect(await db.sql`SELECT url, network, discovered_at FROM relay WHERE url = 'wss://x.example.com'`).toEqual([
      { url: 'wss://x.example.com', network: 'clearnet', discovered_at: '42' },
    ]);
  });

  it('a missing file is a warning and zero relays', async () => {
    const deps = { ...recordingDeps(db.sql), readSeedFile: async () => undefined };
    await createSeeder(deps, seederConfigSchema.parse({})).cycle(new AbortController().signal);
    expect(deps.logs.map((l) => [l.level, l.message])).toEqual([['warn', 'seed_file_missing']]);
    expect(deps.gauges.get('relays_inserted')).toBe(0);
  });
});
