/**
 * Step 2 of one relay's sync (docs/design/synchronizer.md): the probe of what a relay withholds, one
 * `REQ {kinds:[k], limit:1}` per kind, over a real connection to the test relay (its own sessions and its strfry
 * profile).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectRelay, type RelayConnection } from '../../nips/nip01/connection.js';
import { createSigner } from '../../nips/signer.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { startTestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { connectionFetcher } from './fetch.js';
import { probeRestrictions, type Restrictions } from './restrictions.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** No NIP-42 in its document: the test relay then sends no challenge on connect. */
const NO_AUTH_INFO = { name: 'open', supported_nips: [1, 11], limitation: { max_limit: 5000 } };
const EVENTS = generateEvents(30, { seed: 3, kinds: [1, 4, 7, 1059] });

async function connect(opts: TestRelayOpts, signerSeed?: number) {
  const relay = await startTestRelay({ events: EVENTS, ...opts });
  cleanup.push(() => relay.close());
  const signer = signerSeed === undefined ? {} : { signer: createSigner(testSecretKey(signerSeed, 0)) };
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true, ...signer });
  if (!c.ok) throw new Error(c.reason);
  cleanup.push(() => c.value.close());
  return { relay, conn: c.value };
}

const probe = (conn: RelayConnection, kinds: readonly number[], signal = AbortSignal.timeout(20_000)) =>
  probeRestrictions(conn, connectionFetcher(conn, { idleTimeoutMs: 5_000 }), kinds, signal);

const withheldOf = (r: Restrictions) => Object.fromEntries(r.withheld);

describe('probeRestrictions', () => {
  it('a relay that serves every kind and never challenges restricts nothing', async () => {
    const { conn } = await connect({ info: NO_AUTH_INFO });
    const r = await probe(conn, [4, 1059, 1]);
    expect(withheldOf(r)).toEqual({});
    expect(r.restricts).toBe(false);
    expect(r.requests).toBe(3);
    expect(conn.challenge).toBeUndefined();
  });

  it('a relay that sent an AUTH challenge restricts reads, even when it refused no kind', async () => {
    // the default document lists NIP-42: the test relay challenges on connect
    const { conn } = await connect({});
    const r = await probe(conn, [4, 1059]);
    expect(withheldOf(r)).toEqual({});
    expect(conn.challenge).toBeDefined();
    expect(r.restricts).toBe(true);
    expect(r.requests).toBe(2);
  });

  it("strfry's profile without a key: the direct-message kinds are withheld as auth-required, kind 1 is not", async () => {
    const { conn } = await connect({ strfry: {} });
    const r = await probe(conn, [1, 4, 7, 1059]);
    expect(withheldOf(r)).toEqual({ 4: 'auth-required', 1059: 'auth-required' });
    expect(r.restricts).toBe(true);
    expect(r.requests).toBe(4);
  });

  it("strfry's profile with a key it accepts: nothing withheld, but the challenge marks the relay as restricting", async () => {
    const { conn } = await connect({ strfry: { acceptAuth: true } }, 11);
    const r = await probe(conn, [4, 1059]);
    expect(withheldOf(r)).toEqual({});
    expect(conn.challenge).toBeDefined();
    expect(r.restricts).toBe(true);
    expect(r.requests).toBe(2);
  });

  it("strfry's shipped profile refuses every AUTH: with a key, the kinds are still withheld", async () => {
    const { conn } = await connect({ strfry: {} }, 12);
    const r = await probe(conn, [4, 1059]);
    expect(withheldOf(r)).toEqual({ 4: 'auth-required', 1059: 'auth-required' });
    expect(r.restricts).toBe(true);
  });

  it('a kind refused with `restricted:` is withheld as refused, and the relay restricts without any challenge', async () => {
    const { conn } = await connect({ info: NO_AUTH_INFO, misbehave: { refuseReads: 'restricted: members only' } });
    const r = await probe(conn, [4, 1059]);
    expect(withheldOf(r)).toEqual({ 4: 'refused', 1059: 'refused' });
    expect(conn.challenge).toBeUndefined();
    expect(r.restricts).toBe(true);
    expect(r.requests).toBe(2);
  });

  it('a refusal for another reason (rate-limited) is no restriction: it ends the probe at the first kind', async () => {
    const { conn } = await connect({ info: NO_AUTH_INFO, misbehave: { rateLimited: true } });
    const r = await probe(conn, [4, 1059, 1]);
    expect(withheldOf(r)).toEqual({});
    expect(r.restricts).toBe(false);
    expect(r.requests).toBe(1);
  });

  it('a payment request is no restriction either: the probe ends there', async () => {
    const { conn } = await connect({ info: NO_AUTH_INFO, misbehave: { refuseReads: 'restricted: payment required' } });
    const r = await probe(conn, [4, 1059]);
    expect(withheldOf(r)).toEqual({});
    expect(r.restricts).toBe(false);
    expect(r.requests).toBe(1);
  });

  it('kinds withheld before a timeout ended the probe are kept; the kinds after it are not probed', async () => {
    // kind 4 is refused as auth-required; every other REQ gets its events but never EOSE: kind 1059 times out
    const misbehave = { authOnDemandKinds: [4], noEose: true };
    const { conn } = await connect({ info: NO_AUTH_INFO, misbehave });
    const r = await probeRestrictions(
      conn,
      connectionFetcher(conn, { idleTimeoutMs: 300 }),
      [4, 1059, 1],
      AbortSignal.timeout(20_000),
    );
    expect(withheldOf(r)).toEqual({ 4: 'auth-required' });
    expect(r.requests).toBe(2);
    expect(r.restricts).toBe(true);
  });

  it('an aborted cycle probes nothing', async () => {
    const { relay, conn } = await connect({ info: NO_AUTH_INFO });
    const aborted = new AbortController();
    aborted.abort();
    const r = await probe(conn, [4, 1059], aborted.signal);
    expect(r).toEqual({ withheld: new Map(), restricts: false, requests: 0 });
    expect(relay.connections()).toBe(1);
  });
});
