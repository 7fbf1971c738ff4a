import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../src/testing/vitest/db.js';
import { ev, hex32, insertCascade, insertRelayMetadata } from './helpers.js';

const db = useTestDatabase('bigbrotr');

describe('materialized views', () => {
  it('refresh concurrently on an empty database', async () => {
    await db.sql`SELECT all_statistics_refresh()`;
    const [s] = await db.sql`SELECT event_count FROM event_stats`;
    expect(Number(s?.event_count)).toBe(0);
  });

  it('compute the statistics of a small hand-made archive', async () => {
    const { sql } = db;
    const alice = hex32(0xa);
    const bob = hex32(0xb);
    await insertCascade(
      sql,
      [
        ev(1, { kind: 1, pubkey: alice, created_at: 100 }),
        ev(2, { kind: 1, pubkey: bob, created_at: 200 }),
        ev(3, { kind: 0, pubkey: alice, created_at: 300 }),
        ev(4, { kind: 0, pubkey: alice, created_at: 300 }), // same created_at: lowest id (3) wins
        ev(5, { kind: 0, pubkey: alice, created_at: 250 }),
        ev(6, {
          kind: 30023,
          pubkey: alice,
          created_at: 10,
          tags: [
            ['d', 'post'],
            ['d', 'other'],
          ],
        }),
        ev(7, { kind: 30023, pubkey: alice, created_at: 20, tags: [['d', 'post']] }),
        ev(8, { kind: 30023, pubkey: alice, created_at: 5, tags: [] }),
        ev(11, { kind: 30023, pubkey: alice, created_at: 20, tags: [['d', 'post']] }), // tie with 7: id 7 wins
        ev(9, { kind: 20001, pubkey: bob, created_at: 50 }),
        ev(10, { kind: 50000, pubkey: bob, created_at: 60 }),
      ],
      'wss://one.example.com',
    );
    await insertCascade(sql, [ev(1, { pubkey: alice, created_at: 100 })], 'wss://two.example.com');
    const nip11 = (software: string, version: string | undefined, nips: unknown[]) => ({
      data: { name: 'n', software, ...(version ? { version } : {}), supported_nips: nips },
      logs: { success: true },
    });
    await insertRelayMetadata(
      sql,
      'wss://one.example.com',
      'nip11_info',
      hex32(901),
      nip11('strfry', '1.0', [1, 11]),
      10,
    );
    await insertRelayMetadata(
      sql,
      'wss://one.example.com',
      'nip11_info',
      hex32(902),
      nip11('strfry', undefined, [1, 'x', 1.5, 42, '11', 1]),
      20,
    );
    await insertRelayMetadata(sql, 'wss://two.example.com', 'nip11_info', hex32(903), nip11('nostream', '2', [1]), 10);
    await insertRelayMetadata(
      sql,
      'wss://one.example.com',
      'nip66_rtt',
      hex32(904),
      { data: { rtt_open: 100, rtt_read: 50 } },
      10,
    );
    await insertRelayMetadata(sql, 'wss://one.example.com', 'nip66_rtt', hex32(905), { data: { rtt_open: 200 } }, 20);
    await sql`SELECT all_statistics_refresh()`;

    const [stats] = await sql`SELECT * FROM event_stats`;
    expect(Number(stats?.event_count)).toBe(11);
    expect(Number(stats?.unique_pubkeys)).toBe(2);
    expect(Number(stats?.regular_event_count)).toBe(2);
    expect(Number(stats?.replaceable_event_count)).toBe(3);
    expect(Number(stats?.addressable_event_count)).toBe(4);
    expect(Number(stats?.ephemeral_event_count)).toBe(1);
    expect(stats?.singleton_key).toBe(1);
    expect([Number(stats?.earliest_event_timestamp), Number(stats?.latest_event_timestamp)]).toEqual([5, 300]);
    // the reference's rule: events over the span in days, at least one day
    expect(Number(stats?.events_per_day)).toBe(11);

    const latest = await sql`SELECT relay_url, metadata_type, generated_at FROM relay_metadata_latest ORDER BY 1, 2`;
    expect(latest.map((r) => [r.relay_url, r.metadata_type, Number(r.generated_at)])).toEqual([
      ['wss://one.example.com', 'nip11_info', 20],
      ['wss://one.example.com', 'nip66_rtt', 20],
      ['wss://two.example.com', 'nip11_info', 10],
    ]);

    const [repl] = await sql`SELECT encode(id, 'hex') AS id FROM events_replaceable_latest WHERE kind = 0`;
    expect(repl?.id).toBe(hex32(3));
    const addr = await sql`SELECT d_tag, encode(id, 'hex') AS id FROM events_addressable_latest ORDER BY d_tag`;
    expect(addr.map((r) => [r.d_tag, r.id])).toEqual([
      ['', hex32(8)],
      ['post', hex32(7)],
    ]);

    const nips = await sql`SELECT nip, relay_count FROM supported_nip_counts ORDER BY nip`;
    expect(nips.map((r) => [r.nip, Number(r.relay_count)])).toEqual([
      [1, 2],
      [11, 1],
      [42, 1],
    ]);
    const software = await sql`SELECT software, version, relay_count FROM relay_software_counts ORDER BY 1`;
    expect(software.map((r) => [r.software, r.version, Number(r.relay_count)])).toEqual([
      ['nostream', '2', 1],
      ['strfry', 'unknown', 1],
    ]);

    const [rs] = await sql`SELECT * FROM relay_stats WHERE relay_url = 'wss://one.example.com'`;
    expect(Number(rs?.event_count)).toBe(11);
    expect(Number(rs?.avg_rtt_open)).toBe(150);
    expect(Number(rs?.avg_rtt_read)).toBe(50);
    expect(rs?.nip11_software).toBe('strfry');

    const kinds = await sql`SELECT kind, event_count, category FROM kind_counts ORDER BY kind`;
    expect(kinds.find((k) => k.kind === 0)?.category).toBe('replaceable');
    const [net] = await sql`SELECT relay_count, event_count FROM network_stats WHERE network = 'clearnet'`;
    expect([Number(net?.relay_count), Number(net?.event_count)]).toEqual([2, 11]);
    const k1 = await sql`SELECT relay_url, event_count FROM kind_counts_by_relay WHERE kind = 1 ORDER BY 1`;
    expect(k1.map((r) => [r.relay_url, Number(r.event_count)])).toEqual([
      ['wss://one.example.com', 2],
      ['wss://two.example.com', 1],
    ]);
    const pubkeys = await sql`SELECT pubkey, event_count, unique_kinds FROM pubkey_counts ORDER BY pubkey`;
    expect(pubkeys.map((r) => [r.pubkey, Number(r.event_count), Number(r.unique_kinds)])).toEqual([
      [alice, 8, 3],
      [bob, 3, 3],
    ]);
    const byRelay = await sql`SELECT pubkey, relay_url FROM pubkey_counts_by_relay ORDER BY 1, 2`;
    expect(byRelay.map((r) => r.relay_url)).toEqual(['wss://one.example.com', 'wss://one.example.com']);
    const days = await sql`SELECT count(*)::int AS n FROM event_daily_counts`;
    expect(days[0]?.n).toBe(1);
  });

  it('each view has its own <view>_refresh() that refreshes it concurrently', async () => {
    const views = await db.sql<{ v: string }[]>`SELECT matviewname AS v FROM pg_matviews
      WHERE schemaname = 'public' ORDER BY 1`;
    expect(views).toHaveLength(13);
    await insertCascade(db.sql, [ev(12, { kind: 7, created_at: 400 })], 'wss://three.example.com');
    for (const { v } of views) {
      const fn = `${v}_refresh`;
      await db.sql`SELECT ${db.sql(fn)}()`;
    }
    const [after] = await db.sql`SELECT event_count FROM event_stats`;
    expect(Number(after?.event_count)).toBe(12);
    const [kind7] = await db.sql`SELECT relay_url FROM kind_counts_by_relay WHERE kind = 7`;
    expect(kind7?.relay_url).toBe('wss://three.example.com');
    const [rs] = await db.sql`SELECT event_count FROM relay_stats WHERE relay_url = 'wss://three.example.com'`;
    expect(Number(rs?.event_count)).toBe(1);
  });

  it('refresh with far-future and negative created_at, days by floor division, out-of-range days as infinity', async () => {
    const { sql } = db;
    const times = [-1, -86_400, -86_401, 9_200_000_000_000, 2 ** 53 - 1, -(2 ** 53) + 1];
    await insertCascade(
      sql,
      times.map((t, i) => ev(100 + i, { kind: 1, created_at: t })),
      'wss://odd.example.com',
    );
    await sql`SELECT all_statistics_refresh()`;
    const days = await sql`SELECT day::text AS day, event_count FROM event_daily_counts
      WHERE day < '1970-01-01' OR day > '3000-01-01' ORDER BY day`;
    expect(days.map((r) => [r.day, Number(r.event_count)])).toEqual([
      ['-infinity', 1],
      ['1969-12-30', 1],
      ['1969-12-31', 2],
      ['293506-05-25', 1],
      ['infinity', 1],
    ]);
    const [s] = await sql`SELECT earliest_event_timestamp, latest_event_timestamp FROM event_stats`;
    expect([Number(s?.earliest_event_timestamp), Number(s?.latest_event_timestamp)]).toEqual([
      -(2 ** 53) + 1,
      2 ** 53 - 1,
    ]);
    const [p] = await sql`SELECT first_event_timestamp, last_event_timestamp FROM pubkey_counts
      WHERE pubkey = ${hex32(1000)}`;
    expect(Number(p?.last_event_timestamp)).toBe(2 ** 53 - 1);
  });
});
