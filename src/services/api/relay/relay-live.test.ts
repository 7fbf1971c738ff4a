/** The archive as a read-only Nostr relay: its limits, live events after EOSE and its NIP-11 document. */
import { describe, expect, it } from 'vitest';
import { insertEventRelaysCascade } from '../../../core/db/store.js';
import type { NostrEvent } from '../../../models/event.js';
import { connectTools, startArchiveApi } from '../../../testing/archive-relay.js';
import { generateEvents } from '../../../testing/events.js';
import {
  collect,
  db,
  events,
  open,
  relayA,
  relayB,
  srv,
  until,
  useArchiveRelay,
} from '../../../testing/vitest/archive-relay-fixture.js';

useArchiveRelay();

describe('relay endpoint: limits, live events, NIP-11', () => {
  it('bounds subscriptions per connection, connections per address and the request rate', async () => {
    await using lim = await startArchiveApi(
      db.sql,
      { max_subscriptions: 2, max_connections_per_address: 2 },
      { rateLimit: { perSecond: 0.1, burst: 4 } },
    );
    const a = await open(lim.relayUrl);
    const frames = collect(a);
    for (const id of ['s1', 's2', 's3']) a.send(JSON.stringify(['REQ', id, { kinds: [7], limit: 1 }]));
    a.send(JSON.stringify(['CLOSE', 's1']));
    a.send(JSON.stringify(['COUNT', 'c1', { kinds: [7] }]));
    a.send(JSON.stringify(['REQ', 's4', { kinds: [7], limit: 1 }]));
    await until(() => frames.filter((f) => f[0] !== 'EVENT').length >= 5);
    const closed = frames.filter((f) => f[0] === 'CLOSED');
    expect(closed).toContainEqual(['CLOSED', 's3', 'blocked: at most 2 open subscriptions per connection']);
    expect(closed.find((f) => f[1] === 's4')?.[2]).toMatch(/^rate-limited: /);
    expect(frames.filter((f) => f[0] === 'EOSE').map((f) => f[1])).toEqual(['s1', 's2']);
    const b = await open(lim.relayUrl);
    await expect(open(lim.relayUrl)).rejects.toThrow(/429/);
    a.close();
    b.close();
    expect(lim.deps.counters.get('relay_connections_refused')).toBe(1);
  });

  it('delivers newly archived events to live subscriptions after EOSE, once, and only the matching ones', async () => {
    const live = await connectTools(srv.relayUrl);
    const got: NostrEvent[] = [];
    let eose = false;
    live.subscribe([{ kinds: [1], '#t': ['live'] }], {
      onevent: (e) => void got.push(e as unknown as NostrEvent),
      oneose: () => {
        eose = true;
      },
    });
    await until(() => eose);
    const now = Math.floor(Date.now() / 1000);
    const fresh = generateEvents(3, { seed: 77, kinds: [1, 7, 1], tags: () => [['t', 'live']] });
    await insertEventRelaysCascade(
      db.sql,
      fresh.map((event) => ({ event, relay: relayA, seenAt: now })),
    );
    // an old event seen again on another relay is not new
    await insertEventRelaysCascade(db.sql, [{ event: events[5] as NostrEvent, relay: relayB, seenAt: now }]);
    await until(() => got.length >= 2);
    await new Promise((r) => setTimeout(r, 500)); // a few more polls: nothing is delivered twice
    expect(got.map((e) => e.id).sort()).toEqual([fresh[0]?.id, fresh[2]?.id].sort());
    live.close();
  });

  it('publishes a NIP-11 document at the same URL, with the provenance link', async () => {
    const res = await fetch(`${srv.api.url}/relay`, { headers: { accept: 'application/nostr+json' } });
    expect(res.headers.get('content-type')).toContain('application/nostr+json');
    const doc = (await res.json()) as Record<string, never>;
    expect(doc).toMatchObject({
      software: 'bigbrotr',
      version: '9.9.9',
      supported_nips: [1, 11, 45, 77],
      limitation: {
        max_limit: 150,
        max_subscriptions: 20,
        max_message_length: 131_072,
        auth_required: false,
        restricted_writes: true,
      },
      bigbrotr: { content_kept: true, search: false, provenance: '/v1/event_relay?event_id={id}' },
    });
    const id = events[3]?.id as string;
    const prov = await fetch(`${srv.api.url}/v1/event_relay?event_id=${id}&sort=relay_url`);
    const rows = ((await prov.json()) as { data: { relay_url: string }[] }).data;
    expect(rows.map((r) => r.relay_url)).toEqual([relayA.url, relayB.url]);
  });
});
