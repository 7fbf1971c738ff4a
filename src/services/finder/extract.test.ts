import { describe, expect, it } from 'vitest';
import { extractRelayUrls, normalizeCandidates, type ScannedEvent } from './extract.js';

const MONITOR = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const ID = 'c'.repeat(64);
const opts = { monitorPubkeys: new Set([MONITOR]) };
const ev = (over: Partial<ScannedEvent>): ScannedEvent => ({ pubkey: OTHER, kind: 1, tags: [], content: '', ...over });

describe('extractRelayUrls', () => {
  it('reads single-letter ws tags, relay hints and r/relay tags', () => {
    const tags = [
      ['e', ID, 'wss://e.example.com'],
      ['p', OTHER, 'wss://p.example.com', 'petname'],
      ['a', `30023:${OTHER}:x`, 'wss://a.example.com/'],
      ['q', ID, 'wss://q.example.com'],
      ['r', 'wss://r.example.com', 'read'],
      ['relay', 'wss://relay.example.com'],
      ['x', 'ws://single.example.com'],
      ['t', 'nostr'],
      ['e', ID],
      ['relays', 'wss://not-a-relay-tag.example.com'],
      ['alt', 'wss://multi-letter.example.com'],
    ];
    expect(extractRelayUrls(ev({ tags }), opts)).toEqual([
      'wss://e.example.com',
      'wss://p.example.com',
      'wss://a.example.com/',
      'wss://q.example.com',
      'wss://r.example.com',
      'wss://relay.example.com',
      'ws://single.example.com',
    ]);
  });

  it('deduplicates raw strings', () => {
    const tags = [
      ['r', 'wss://r.example.com'],
      ['e', ID, 'wss://r.example.com'],
    ];
    expect(extractRelayUrls(ev({ tags }), opts)).toEqual(['wss://r.example.com']);
  });

  it('reads the kind 3 relay map and ignores content that is not a JSON object', () => {
    const map = JSON.stringify({ 'wss://k3.example.com': { read: true, write: true }, 'wss://k3b.example.com': 5 });
    expect(extractRelayUrls(ev({ kind: 3, content: map }), opts)).toEqual([
      'wss://k3.example.com',
      'wss://k3b.example.com',
    ]);
    for (const content of ['{not json', '[1, "wss://x.example.com"]', '42', 'null', '"wss://s.example.com"', '']) {
      expect(extractRelayUrls(ev({ kind: 3, content }), opts)).toEqual([]);
    }
    expect(extractRelayUrls(ev({ kind: 1, content: map }), opts)).toEqual([]);
  });

  it('reads kind 2 content as one URL', () => {
    expect(extractRelayUrls(ev({ kind: 2, content: '  wss://k2.example.com \n' }), opts)).toEqual([
      'wss://k2.example.com',
    ]);
  });

  it('reads 30166 d tags of configured monitors only', () => {
    const tags = [['d', 'relay.example.com']];
    expect(extractRelayUrls(ev({ kind: 30166, pubkey: MONITOR, tags }), opts)).toEqual(['relay.example.com']);
    expect(extractRelayUrls(ev({ kind: 30166, pubkey: OTHER, tags }), opts)).toEqual([]);
    expect(extractRelayUrls(ev({ kind: 1, pubkey: MONITOR, tags }), opts)).toEqual([]);
  });

  it('survives null tags and content (lilbrotr) and malformed tags', () => {
    expect(extractRelayUrls(ev({ kind: 3, tags: null, content: null }), opts)).toEqual([]);
    const tags = ['r', [1, 'wss://x.example.com'], ['e', 5, { u: 1 }], ['p', OTHER, 7], [], null, ['r', '   ']];
    expect(extractRelayUrls(ev({ tags }), opts)).toEqual([]);
    expect(extractRelayUrls(ev({ tags: { r: 'wss://x.example.com' } }), opts)).toEqual([]);
  });
});

describe('normalizeCandidates', () => {
  it('keeps unique canonical URLs and counts the rest', () => {
    const out = normalizeCandidates([
      'wss://A.example.com:443/',
      'wss://a.example.com',
      'ws://b.example.com',
      'bad url',
      'https://c.example.com',
      'relay.example.com',
    ]);
    expect(out.candidates).toEqual([
      { url: 'wss://a.example.com', network: 'clearnet' },
      { url: 'wss://b.example.com', network: 'clearnet' },
    ]);
    expect(out.invalid).toBe(3);
  });

  it('rejects hostile strings', () => {
    const hostile = [
      'wss://a.exa\u0001mple.com',
      'wss://a\u0000.example.com',
      'wss://a b.example.com',
      `wss://${'a'.repeat(5000)}.com`,
      `wss://x.example.com/${'p'.repeat(5000)}`,
      'wss://10.0.0.1',
      'ws://127.0.0.1:7777',
      'wss://[::1]',
      'wss://192.168.1.1/relay',
    ];
    const out = normalizeCandidates(hostile);
    expect(out.candidates).toEqual([]);
    expect(out.invalid).toBe(hostile.length);
  });

  it('never lets control characters of a path through', () => {
    const out = normalizeCandidates([
      'wss://a.example.com/%0A',
      'wss://b.example.com/ab\ncd',
      'wss://c.example.com/%0d%0a',
    ]);
    expect(out.candidates.length).toBeGreaterThan(0);
    const hasControl = (u: string): boolean => [...u].some((ch) => ch.charCodeAt(0) < 0x20 || ch === ' ');
    for (const c of out.candidates) {
      expect(hasControl(c.url)).toBe(false);
      expect(c.url).not.toMatch(/%0a|%0d/i);
    }
  });

  it('accepts local addresses only when allowed', () => {
    const out = normalizeCandidates(['wss://10.0.0.1', 'ws://127.0.0.1:7777'], { allowLocal: true });
    expect(out.candidates).toEqual([
      { url: 'wss://10.0.0.1', network: 'local' },
      { url: 'ws://127.0.0.1:7777', network: 'local' },
    ]);
    expect(out.invalid).toBe(0);
  });
});
