/**
 * Differential conformance with AUTH possible: the real strfry with `relay.auth.serviceUrl` set to its own URL
 * (`startStrfry({ acceptAuth: true })`) against the test relay's profile with `strfry: { acceptAuth: true }`.
 * After AUTH a reader gets only the DMs that involve it; COUNT must be scoped to it; NIP-77 still leaves them out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { signEvent, testSecretKey } from '../events.js';
import { openRawClient, type RawClient } from '../raw-client.js';
import { type Strfry, startStrfry, strfryBinary } from '../strfry.js';
import { startTestRelay, type TestRelay } from './relay.js';
import { authDataSet, authEvent, negentropy, READER, READER_SECRET, req, Transcript } from './strfry-differential.js';

const binary = strfryBinary();

describe.skipIf(!binary)('strfry profile = real strfry (AUTH accepted)', () => {
  const base = Math.floor(Date.now() / 1000) - 3_600;
  let events: NostrEvent[];
  let real: Strfry;
  let profile: TestRelay;

  beforeAll(async () => {
    events = authDataSet(base);
    real = await startStrfry({ binary, acceptAuth: true });
    expect(await real.importEvents(events)).toEqual({ added: events.length, rejected: 0, dups: 0 });
    profile = await startTestRelay({ events, strfry: { acceptAuth: true } });
  }, 120_000);
  afterAll(async () => {
    await real?.stop();
    await profile?.close();
  });

  async function both(script: (c: RawClient, t: Transcript) => Promise<void>): Promise<[Transcript, Transcript]> {
    const run = async (url: string) => {
      await using c = await openRawClient(url);
      const t = new Transcript(url);
      await script(c, t);
      return t;
    };
    return Promise.all([run(real.url), run(profile.url)]);
  }

  async function auth(c: RawClient, t: Transcript, e: NostrEvent): Promise<void> {
    t.authEventId(e.id);
    c.send(['AUTH', e]);
    t.add(await c.take((m) => m[0] === 'OK'));
  }

  it('NIP-11 then advertises NIP-42', async () => {
    const get = async (port: number) =>
      (await (await fetch(`http://127.0.0.1:${port}`, { headers: { accept: 'application/nostr+json' } })).json()) as {
        supported_nips: number[];
      };
    const [a, b] = await Promise.all([get(real.port), get(profile.port)]);
    expect(b.supported_nips).toEqual(a.supported_nips);
    expect(a.supported_nips).toContain(42);
  });

  it('AUTH on demand, its refusals, then only the DMs that involve the reader; COUNT scoped to it', async () => {
    const negs: { need: string[] }[] = [];
    const [a, b] = await both(async (c, t) => {
      t.add(await c.quiet(300));
      await req(c, t, ['REQ', 'dm', { kinds: [4] }]);
      const challenge = t.lastChallenge ?? '';
      await auth(c, t, authEvent('ws://elsewhere.example', challenge));
      await auth(c, t, authEvent(t.url, 'not the challenge'));
      await auth(c, t, authEvent(t.url, challenge));
      await auth(c, t, authEvent(t.url, challenge));
      await req(c, t, ['REQ', 'dm', { kinds: [4] }]);
      await req(c, t, ['REQ', 'wraps', { kinds: [1059] }]);
      await req(c, t, ['REQ', 'page', { limit: 100 }]);
      await req(c, t, ['COUNT', 'c-all', { kinds: [4] }]);
      await req(c, t, ['COUNT', 'c-p', { kinds: [4], '#p': [READER] }]);
      await req(c, t, ['COUNT', 'c-author', { kinds: [4], authors: [READER] }]);
      negs.push(await negentropy(c, t, { kinds: [4] }, []), await negentropy(c, t, {}, []));
    });
    expect(b.frames).toEqual(a.frames);
    const dms = a.frames.filter((f) => f[0] === 'EVENT' && f[1] === 'dm').map((f) => f[2] as string);
    const involved = events.filter((e) => e.kind === 4 && (e.pubkey === READER || e.tags.some((x) => x[1] === READER)));
    expect(new Set(dms)).toEqual(new Set(involved.map((e) => e.id)));
    expect(a.frames).toContainEqual(['OK', '<auth>', true, 'successfully authenticated']);
    expect(a.frames).toContainEqual([
      'CLOSED',
      'c-all',
      'ERROR: count-failed: can only count events you are involved in',
    ]);
    // NIP-77 even after AUTH: a kinds filter lists no DMs (strfry never tells its negentropy thread about AUTH),
    // the {} tree lists all of them, involved or not; negs holds [kinds, {}] of one relay, then of the other
    expect(negs.map((n) => n.need.length)).toEqual([0, events.length, 0, events.length]);
  });

  it('AUTH before any challenge is refused; an authenticated live subscription gets only new DMs to the reader', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sender = testSecretKey(78, 0);
    const toReader = signEvent({ created_at: now, kind: 4, tags: [['p', READER]], content: 'to reader' }, sender);
    const toOther = signEvent(
      { created_at: now, kind: 4, tags: [['p', 'ab'.repeat(32)]], content: 'to other' },
      sender,
    );
    const [a, b] = await both(async (c, t) => {
      await auth(c, t, authEvent(t.url, 'x'));
      await req(c, t, ['REQ', 'dm', { kinds: [4], limit: 0 }]);
      await auth(c, t, authEvent(t.url, t.lastChallenge ?? '', READER_SECRET));
      await req(c, t, ['REQ', 'live', { kinds: [4], since: now }]);
      await using w = await openRawClient(t.url);
      for (const e of [toOther, toReader]) {
        w.send(['EVENT', e]);
        await w.take((m) => m[0] === 'OK');
      }
      t.add(await c.take((m) => m[0] === 'EVENT' && m[1] === 'live'));
      t.add(await c.quiet(300));
    });
    expect(b.frames).toEqual(a.frames);
    expect(a.frames).toContainEqual(['OK', '<auth>', false, 'error: no auth status available for connection']);
    expect(a.frames.filter((f) => f[1] === 'live' && f[0] === 'EVENT')).toEqual([['EVENT', 'live', toReader.id]]);
  });
});
