/**
 * Differential conformance: the same scripted exchanges, sent to the real strfry (shipped config) and to the test
 * relay's strfry profile loaded with the same signed events in the same order, get the same answers. Runs when
 * BIGBROTR_STRFRY points at a strfry binary (always in CI, where a missing binary fails the suite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { generateEvents } from '../events.js';
import { openRawClient, type RawClient } from '../raw-client.js';
import { type Strfry, startStrfry, strfryBinary } from '../strfry.js';
import { startTestRelay, type TestRelay } from './relay.js';
import { authEvent, bigDataSet, negentropy, req, Transcript } from './strfry-differential.js';

const binary = strfryBinary();

describe.skipIf(!binary)('strfry profile = real strfry (shipped config)', () => {
  const base = Math.floor(Date.now() / 1000) - 86_400;
  let data: ReturnType<typeof bigDataSet>;
  let real: Strfry;
  let profile: TestRelay;

  beforeAll(async () => {
    data = bigDataSet(base);
    real = await startStrfry({ binary });
    const imported = await real.importEvents(data.events);
    expect(imported).toEqual({ added: data.events.length, rejected: 0, dups: 0 });
    profile = await startTestRelay({ events: data.events, strfry: {} });
  }, 240_000);
  afterAll(async () => {
    await real?.stop();
    await profile?.close();
  });

  /** Run `script` against both relays on fresh connections; returns [strfry, profile] transcripts. */
  async function both<T>(
    script: (c: RawClient, t: Transcript) => Promise<T>,
    opts: { deflate?: boolean } = {},
  ): Promise<[{ t: Transcript; r: T; c: RawClient }, { t: Transcript; r: T; c: RawClient }]> {
    const run = async (url: string) => {
      const c = await openRawClient(url, opts);
      const t = new Transcript(url);
      try {
        return { t, r: await script(c, t), c };
      } finally {
        await c.close();
      }
    };
    return Promise.all([run(real.url), run(profile.url)]);
  }

  it('NIP-11: the same document (all but the version) with the same content type', async () => {
    const get = (port: number) => fetch(`http://127.0.0.1:${port}`, { headers: { accept: 'application/nostr+json' } });
    const [a, b] = await Promise.all([get(real.port), get(profile.port)]);
    expect(b.headers.get('content-type')).toBe(a.headers.get('content-type'));
    const [ja, jb] = [(await a.json()) as Record<string, unknown>, (await b.json()) as Record<string, unknown>];
    expect(ja.supported_nips).toEqual([1, 2, 4, 9, 11, 28, 40, 45, 59, 70, 77]);
    expect(Object.keys(jb)).toEqual(Object.keys(ja));
    expect({ ...jb, version: '' }).toEqual({ ...ja, version: '' });
  });

  it('an until-walk over the whole relay: same pages, ids and order; kind-4/1059 inside the limit make pages short', async () => {
    const [a, b] = await both(async (c, t) => {
      const sizes: number[] = [];
      let until: number | undefined;
      for (let page = 0; page < 200; page++) {
        const frames = await req(
          c,
          t,
          ['REQ', `p${page}`, until === undefined ? { limit: 500 } : { until, limit: 500 }],
          true,
        );
        const events = frames.filter((f) => f[0] === 'EVENT').map((f) => f[2] as NostrEvent);
        sizes.push(events.length);
        if (events.length === 0) break;
        until = Math.min(...events.map((e) => e.created_at)) - 1;
      }
      return sizes;
    });
    expect(b.t.frames).toEqual(a.t.frames); // full event JSON: keys in strfry's order
    expect(b.r).toEqual(a.r);
    expect(a.r.some((n, i) => n > 0 && n < 500 && (a.r[i + 1] ?? 0) > 0)).toBe(true);
  }, 120_000);

  it('limits: none, above max_limit, 0, and one kind past max_limit in one second (ties: last stored first)', async () => {
    const [a, b] = await both(async (c, t) => {
      await req(c, t, ['REQ', 'none', {}]);
      await req(c, t, ['REQ', 'big', { kinds: [1], limit: 5000 }]);
      await req(c, t, ['REQ', 'zero', { limit: 0 }]);
      await req(c, t, ['REQ', 'k1', { kinds: [1], since: data.denseKind1, until: data.denseKind1 }]);
      await req(c, t, ['REQ', 'mix', { since: data.denseMixed, until: data.denseMixed, limit: 300 }]);
      await req(c, t, ['REQ', 'emptykinds', { kinds: [] }]);
    });
    expect(b.t.frames).toEqual(a.t.frames);
    const count = (sub: string) => a.t.frames.filter((f) => f[0] === 'EVENT' && f[1] === sub).length;
    expect([count('big'), count('k1'), count('zero')]).toEqual([500, 500, 0]);
  });

  it('restricted kinds: AUTH challenge on demand then CLOSED; mixed filters run without them; fetching their ids gives nothing', async () => {
    const dmIds = data.events
      .filter((e) => e.kind === 4)
      .slice(0, 20)
      .map((e) => e.id);
    const [a, b] = await both(async (c, t) => {
      t.add(await c.quiet(300)); // nothing on connect
      await req(c, t, ['REQ', 'dm', { kinds: [4] }]);
      await req(c, t, ['REQ', 'dm2', { kinds: [4, 1059] }, { kinds: [1059], limit: 3 }]);
      await req(c, t, ['REQ', 'mixed', { kinds: [4] }, { kinds: [1], limit: 5 }]);
      await req(c, t, ['REQ', 'mixed2', { kinds: [1, 4], limit: 50 }, { kinds: [7], limit: 20 }, { limit: 30 }]);
      await req(c, t, ['REQ', 'ids', { ids: dmIds }]);
    });
    expect(b.t.frames).toEqual(a.t.frames);
    expect(a.t.frames.slice(0, 2)).toEqual([
      ['AUTH', '<challenge>'],
      ['CLOSED', 'dm', 'ERROR: auth-required: requested filter requires authentication'],
    ]);
  });

  it('COUNT: plain, with restricted events inside, refused for restricted kinds, capped by limit', async () => {
    const [a, b] = await both(async (c, t) => {
      await req(c, t, ['COUNT', 'c1', { kinds: [1] }]);
      await req(c, t, ['COUNT', 'all', {}]);
      await req(c, t, ['COUNT', 'dm', { kinds: [1, 4] }]);
      await req(c, t, ['COUNT', 'dm2', { kinds: [4] }]);
      await req(c, t, ['COUNT', 'lim', { kinds: [7], limit: 10 }, { kinds: [6], limit: 5 }]);
    });
    expect(b.t.frames).toEqual(a.t.frames);
    expect(a.t.frames[1]).toEqual(['COUNT', 'all', { count: data.events.length }]);
  });

  it('malformed requests get the same NOTICE and CLOSED texts', async () => {
    const [a, b] = await both(async (c, t) => {
      await req(c, t, ['REQ', 'u', { search: 'x' }]);
      await req(c, t, ['REQ', 'tags', { '#a': ['1'], '#b': ['1'], '#c': ['1'], '#d': ['1'] }]);
      await req(c, t, ['REQ', 'f201', ...Array.from({ length: 201 }, () => ({ kinds: [1], limit: 1 }))]);
      await req(c, t, ['REQ', 'notobj', 'x']);
      await req(c, t, ['REQ', 'badlimit', { limit: -1 }]);
      for (const m of ['nonsense', '["FOO","x"]', '["REQ"]', '["CLOSE","a","b"]', '["REQ",1,{}]']) {
        c.send(m);
        t.add(await c.take((f) => f[0] === 'NOTICE'));
      }
    });
    expect(b.t.frames).toEqual(a.t.frames);
    expect(a.t.frames).toContainEqual(['CLOSED', 'f201', 'ERROR: bad req: arr too big']);
  });

  it('200 subscriptions per connection: the 201st gets its events and EOSE, then a NOTICE, and stays closed', async () => {
    const [a, b] = await both(async (c, t) => {
      for (let i = 0; i < 200; i++) c.send(['REQ', `s${i}`, { kinds: [7], limit: 1 }]);
      await c.take((m) => m[0] === 'EOSE' && m[1] === 's199', 30_000);
      await req(c, t, ['REQ', 's200', { kinds: [7], limit: 2 }]);
      t.add(await c.take((m) => m[0] === 'NOTICE'));
      c.send(['CLOSE', 's3']);
      await req(c, t, ['REQ', 's201', { kinds: [7], limit: 1 }]);
      t.add(await c.quiet(300));
    });
    expect(b.t.frames).toEqual(a.t.frames);
    expect(a.t.frames).toContainEqual(['NOTICE', 'ERROR: too many concurrent REQs']);
  });

  it('NIP-77: the same NEG-MSG bytes and id sets; {} lists restricted ids (500,000-byte frames), other filters leave them out', async () => {
    const foreign = generateEvents(40, { seed: 45, createdAt: (i) => base + 1_000 + i * 20 });
    const mine = [...data.events.filter((_, i) => i % 3 === 0), ...foreign];
    const from = base + 1_000;
    const to = base + 2_000;
    const inSpan = mine.filter((e) => e.created_at >= from && e.created_at <= to);
    const [a, b] = await both(async (c, t) => {
      const all = await negentropy(c, t, {}, []);
      const partial = await negentropy(c, t, {}, mine);
      const span = await negentropy(c, t, { since: from, until: to }, inSpan);
      // strfry's `bad range`: the client's items reach below `since`
      const outside = await negentropy(c, t, { since: from, until: to }, mine);
      const kinds = await negentropy(c, t, { kinds: [1, 4] }, mine);
      const limited = await negentropy(c, t, { limit: 10 }, []);
      const dm = await negentropy(c, t, { kinds: [4] }, []);
      c.send(['NEG-MSG', 'nope', '61']);
      t.add(await c.take((m) => m[0] === 'NEG-ERR'));
      c.send(['NEG-OPEN', 'bad', {}, 'ff']);
      t.add(await c.take((m) => m[0] === 'NEG-ERR'));
      return { all, partial, span, outside, kinds, limited, dm };
    });
    // payloads shortened first so that a difference reads well; then byte for byte
    const short = (frames: unknown[][]) =>
      frames.map((f) => f.map((x) => (typeof x === 'string' && x.length > 80 ? `${x.length}:${x.slice(0, 60)}` : x)));
    expect(short(b.t.frames)).toEqual(short(a.t.frames));
    expect(b.t.frames).toEqual(a.t.frames);
    expect(b.r).toEqual(a.r);
    const restricted = new Set<string>(data.events.filter((e) => e.kind === 4 || e.kind === 1059).map((e) => e.id));
    expect(a.r.all.need).toHaveLength(data.events.length);
    expect(a.r.all.need.some((id) => restricted.has(id))).toBe(true);
    expect(a.r.all.largestFrame).toBeGreaterThan(490_000); // one frame cannot hold ~16,900 ids
    expect(a.r.all.frames.length).toBeGreaterThan(1);
    expect(a.r.span.have.length).toBeGreaterThan(0);
    expect(a.r.outside.frames.at(-1)).toEqual(['NEG-ERR', 'neg', 'PROTOCOL-ERROR']);
    expect(a.r.kinds.need.some((id) => restricted.has(id))).toBe(false);
    expect(a.r.dm.frames.at(-1)).toEqual(['NEG-ERR', 'neg', 'auth-required: requested filter requires authentication']);
  }, 120_000);

  it('AUTH is refused by the shipped config; publishing: accepted, duplicate, bad signature, live delivery', async () => {
    const [fresh] = generateEvents(1, { seed: 46, createdAt: () => Math.floor(Date.now() / 1000) });
    const e = fresh as NostrEvent;
    const forged = { ...e, sig: `${e.sig.slice(0, -1)}${e.sig.endsWith('0') ? '1' : '0'}` };
    const [a, b] = await both(async (c, t) => {
      await req(c, t, ['REQ', 'dm', { kinds: [4] }]);
      const auth = authEvent(t.url, t.lastChallenge ?? '');
      t.authEventId(auth.id);
      c.send(['AUTH', auth]);
      t.add(await c.take((m) => m[0] === 'OK'));
      await req(c, t, ['REQ', 'live', { kinds: [e.kind], since: e.created_at }]);
      const w = await openRawClient(t.url);
      for (const ev of [e, e, forged]) {
        w.send(['EVENT', ev]);
        t.add(await w.take((m) => m[0] === 'OK'));
      }
      await w.close();
      t.add(await c.take((m) => m[0] === 'EVENT' && m[1] === 'live'));
    });
    expect(b.t.frames).toEqual(a.t.frames);
    expect(a.t.frames).toContainEqual([
      'OK',
      '<auth>',
      false,
      'error: relay needs serviceUrl to be configured before AUTH can work',
    ]);
  });

  it('a message over 131,072 bytes drops the connection without a close frame (no compression)', async () => {
    const [a, b] = await both(
      async (c) => {
        c.send(JSON.stringify(['REQ', 'big', { limit: 1 }, 'x'.repeat(140_000)]));
        return c.closed;
      },
      { deflate: false },
    );
    expect(b.r).toBe(a.r);
    expect(a.r).toBe(1006);
  });
});
