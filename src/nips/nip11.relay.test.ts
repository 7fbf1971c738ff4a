/** NIP-11 end to end against the test relay: plain, TLS (self-signed) and through a SOCKS5 proxy. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCertificate } from '../testing/certs.js';
import { startTestRelay } from '../testing/relay/relay.js';
import { startSocksServer } from '../testing/socks5.js';
import { socksAgent } from '../utils/net/proxy.js';
import { fetchRelayInfo } from './nip11.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const info = {
  name: 'farm relay',
  supported_nips: [77, 1, 11, 1],
  limitation: { max_limit: 500, auth_required: false },
  junk: 'dropped',
};

describe('fetchRelayInfo against the test relay', () => {
  it('reads the document the relay serves, normalised', async () => {
    const relay = await startTestRelay({ info });
    cleanup.push(() => relay.close());
    const r = await fetchRelayInfo(relay.url, { allowLocal: true });
    expect(r).toEqual({
      ok: true,
      value: { name: 'farm relay', supported_nips: [1, 11, 77], limitation: { max_limit: 500, auth_required: false } },
    });
  });

  it('refuses a self-signed certificate unless insecure, and refuses local relays unless enabled', async () => {
    const relay = await startTestRelay({ info, tls: await createTestCertificate() });
    cleanup.push(() => relay.close());
    expect(await fetchRelayInfo(relay.url, { allowLocal: true })).toMatchObject({ ok: false, reason: 'tls' });
    expect(await fetchRelayInfo(relay.url, { allowLocal: true, insecure: true })).toMatchObject({ ok: true });
    expect(await fetchRelayInfo(relay.url)).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('goes through the SOCKS5 proxy for an onion relay', async () => {
    const relay = await startTestRelay({ info });
    cleanup.push(() => relay.close());
    const onion = `${'b'.repeat(56)}.onion`;
    const socks = await startSocksServer({ [onion]: '127.0.0.1' });
    cleanup.push(() => socks.close());
    const r = await fetchRelayInfo(`ws://${onion}:${relay.port}`, { agent: socksAgent(socks.url) });
    expect(r).toMatchObject({ ok: true, value: { name: 'farm relay' } });
    expect(socks.requests).toEqual([`${onion}:${relay.port}`]);
  });
});
