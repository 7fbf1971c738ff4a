import { describe, expect, it } from 'vitest';
import type { Relay, RelayUrl } from '../../models/relay.js';
import type { RttResult } from '../../nips/nip66/rtt.js';
import { FLOAT_KEYS, metadataRows, verdictOf } from './results.js';

const relay: Relay = { url: 'wss://r.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 1 };
const all = {
  nip11_info: true,
  nip66_rtt: true,
  nip66_ssl: true,
  nip66_geo: true,
  nip66_net: true,
  nip66_dns: true,
  nip66_http: true,
};
const rtt = (logs: Partial<RttResult['logs']>): RttResult => ({
  data: {},
  logs: { open_success: true, read_success: true, write_success: true, ...logs },
});

describe('monitor results', () => {
  it('hashes documents as the reference does (floats as Python prints them, failures without data)', () => {
    const [geo] = metadataRows(
      relay,
      { nip66_geo: { data: { geo_lat: 52.0, geo_lon: 4.9 }, logs: { success: true } } },
      all,
      5,
    );
    expect(geo?.metadata).toEqual({
      id: 'b2a6530eb1a309007432d0f6898a9918c0017a2a93a91b781484c61c7945c0a5',
      type: 'nip66_geo',
      json: '{"data":{"geo_lat":52.0,"geo_lon":4.9},"logs":{"success":true}}',
    });
    const [failed] = metadataRows(
      relay,
      { nip11_info: { data: {}, logs: { success: false, reason: 'timeout' } } },
      all,
      5,
    );
    expect(failed?.metadata.json).toBe('{"logs":{"reason":"timeout","success":false}}');
    expect(FLOAT_KEYS.has('geo_lat')).toBe(true);
    expect(
      metadataRows(relay, { nip66_http: { data: {}, logs: { success: true } } }, { ...all, nip66_http: false }, 5),
    ).toEqual([]);
  });

  it('decides a verdict from the socket after the retries', () => {
    expect(verdictOf({ nip66_rtt: rtt({}) })).toEqual({ verdict: 'online' });
    expect(verdictOf({ nip66_rtt: rtt({ read_success: false, read_reason: 'no events' }) })).toEqual({
      verdict: 'online',
    });
    expect(verdictOf({ nip66_rtt: rtt({ open_success: false, open_reason: 'refused' }) })).toEqual({
      verdict: 'offline',
      reason: 'refused',
    });
    expect(verdictOf({ nip66_rtt: rtt({ open_success: false, open_reason: 'not-nostr' }) })).toEqual({
      verdict: 'not-a-relay',
      reason: 'not-nostr',
    });
    expect(verdictOf({ nip66_rtt: rtt({ open_success: false, open_reason: 'payment-required' }) })).toEqual({
      verdict: 'payment-required',
    });
    expect(verdictOf({ nip66_rtt: rtt({ read_success: false, read_reason: 'auth-required' }) })).toEqual({
      verdict: 'auth-required',
    });
    expect(verdictOf({ nip66_rtt: rtt({ read_success: false, read_reason: 'refused' }) })).toEqual({
      verdict: 'blocked',
      reason: 'refused',
    });
    expect(verdictOf({ nip11_info: { data: {}, logs: { success: true } } })).toEqual({ verdict: 'online' });
    expect(verdictOf({})).toEqual({ verdict: 'unknown' });
  });
});
