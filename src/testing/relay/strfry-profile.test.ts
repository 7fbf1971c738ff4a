/**
 * The strfry profile on its own (no binary needed): the facts a crawler depends on. The differential tests
 * (`*.strfry.test.ts`) prove each of them against the real strfry; these keep them guarded in every `npm test`.
 */
import { describe, expect, it } from 'vitest';
import { generateEvents } from '../events.js';
import { openRawClient } from '../raw-client.js';
import { startTestRelay } from './relay.js';
import { authEvent, READER } from './strfry-differential.js';

const events = generateEvents(2_000, {
  seed: 47,
  kinds: [1, 4, 1, 1059],
  createdAt: (i) => 1_700_000_000 + Math.floor(i / 4),
  tags: (i) => (i % 4 === 1 ? [['p', READER]] : []),
});

describe('test relay, strfry profile', () => {
  it('on-demand AUTH, ERROR:-prefixed CLOSED, short pages, max_limit 500, sorted keys', async () => {
    await using relay = await startTestRelay({ events, strfry: {} });
    await using c = await openRawClient(relay.url);
    expect(await c.quiet(100)).toEqual([]); // no challenge on connect
    c.send(['REQ', 'dm', { kinds: [4, 1059] }]);
    const refused = await c.take((m) => m[0] === 'CLOSED');
    expect(refused.map((m) => m[0])).toEqual(['AUTH', 'CLOSED']);
    expect(refused[1]).toEqual(['CLOSED', 'dm', 'ERROR: auth-required: requested filter requires authentication']);
    c.send(['REQ', 'page', { limit: 100 }]);
    const page = (await c.take((m) => m[0] === 'EOSE')).filter((m) => m[0] === 'EVENT');
    expect(page).toHaveLength(50); // 100 counted, the 50 restricted ones dropped afterwards
    c.send(['REQ', 'max', { kinds: [1], limit: 5_000 }]);
    expect((await c.take((m) => m[0] === 'EOSE')).length - 1).toBe(500);
    const raw = c.frames.find((f) => f.startsWith('["EVENT","page",')) ?? '';
    expect(Object.keys(JSON.parse(raw)[2])).toEqual(['content', 'created_at', 'id', 'kind', 'pubkey', 'sig', 'tags']);
    const info = (await (
      await fetch(`http://127.0.0.1:${relay.port}`, { headers: { accept: 'application/nostr+json' } })
    ).json()) as { limitation: unknown };
    expect(info.limitation).toEqual({ max_limit: 500, max_message_length: 131072, max_subscriptions: 200 });
  });

  it('AUTH refused by default; accepted with acceptAuth, then only the DMs that involve the reader', async () => {
    for (const acceptAuth of [false, true]) {
      await using relay = await startTestRelay({ events, strfry: { acceptAuth } });
      await using c = await openRawClient(relay.url);
      c.send(['REQ', 'dm', { kinds: [4] }]);
      const [challenge] = await c.take((m) => m[0] === 'CLOSED');
      c.send(['AUTH', authEvent(relay.url, String(challenge?.[1]))]);
      const [ok] = await c.take((m) => m[0] === 'OK');
      expect(ok?.slice(2)).toEqual(
        acceptAuth
          ? [true, 'successfully authenticated']
          : [false, 'error: relay needs serviceUrl to be configured before AUTH can work'],
      );
      c.send(['REQ', 'dm2', { kinds: [4] }]);
      const got = await c.take((m) => m[1] === 'dm2' && m[0] !== 'EVENT');
      expect(got.filter((m) => m[0] === 'EVENT')).toHaveLength(acceptAuth ? 500 : 0);
    }
  });
});
