import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { checkEventStorable, eventKindClass, type NostrEvent, validateEvent } from './event.js';

const sk = generateSecretKey();
const real = finalizeEvent(
  {
    kind: 1,
    created_at: 1_700_000_000,
    tags: [
      ['e', 'a'.repeat(64)],
      ['p', 'b'.repeat(64), 'wss://r.example.com'],
    ],
    content: 'hello',
  },
  sk,
);
const plain = { ...real } as Record<string, unknown>;
delete plain[Symbol.for('verified') as unknown as string];

function mutate(change: Record<string, unknown>, drop?: string): Record<string, unknown> {
  const e: Record<string, unknown> = { ...plain, ...change };
  if (drop) delete e[drop];
  return e;
}

const flipHex = (s: string): string => (s[0] === '0' ? `1${s.slice(1)}` : `0${s.slice(1)}`);

describe('validateEvent', () => {
  it('accepts a real signed event and keeps exactly the NIP-01 fields', () => {
    const r = validateEvent({ ...plain, extra: 1 });
    expect(r.ok).toBe(true);
    expect(r.ok && Object.keys(r.event).sort()).toEqual([
      'content',
      'created_at',
      'id',
      'kind',
      'pubkey',
      'sig',
      'tags',
    ]);
  });

  const corpus: [string, Record<string, unknown> | unknown][] = [
    ['tampered id', mutate({ id: flipHex(real.id) })],
    ['tampered sig', mutate({ sig: flipHex(real.sig) })],
    ['tampered content', mutate({ content: 'hellO' })],
    ['tampered tags', mutate({ tags: [['e', 'a'.repeat(64)]] })],
    ['tampered kind', mutate({ kind: 2 })],
    ['tampered created_at', mutate({ created_at: real.created_at + 1 })],
    ['tampered pubkey', mutate({ pubkey: flipHex(real.pubkey) })],
    ['upper-case id', mutate({ id: real.id.toUpperCase() })],
    ['upper-case pubkey', mutate({ pubkey: real.pubkey.toUpperCase() })],
    ['upper-case sig', mutate({ sig: real.sig.toUpperCase() })],
    ['short id', mutate({ id: real.id.slice(2) })],
    ['long sig', mutate({ sig: `${real.sig}00` })],
    ['missing id', mutate({}, 'id')],
    ['missing sig', mutate({}, 'sig')],
    ['missing tags', mutate({}, 'tags')],
    ['missing content', mutate({}, 'content')],
    ['kind as string', mutate({ kind: '1' })],
    ['kind too large', mutate({ kind: 70000 })],
    ['fractional created_at', mutate({ created_at: 1.5 })],
    ['negative created_at', mutate({ created_at: -1 })],
    ['created_at as string', mutate({ created_at: '1700000000' })],
    ['tags not arrays', mutate({ tags: ['e'] })],
    ['tag with a number', mutate({ tags: [['e', 1]] })],
    ['content as number', mutate({ content: 5 })],
    ['missing pubkey', mutate({}, 'pubkey')],
    ['missing kind', mutate({}, 'kind')],
    ['missing created_at', mutate({}, 'created_at')],
    ['id as number', mutate({ id: 1 })],
    ['pubkey null', mutate({ pubkey: null })],
    ['sig as bytes', mutate({ sig: Array.from(Buffer.from(real.sig, 'hex')) })],
    ['id with non-hex', mutate({ id: `${real.id.slice(0, 63)}g` })],
    ['kind NaN', mutate({ kind: Number.NaN })],
    ['fractional kind', mutate({ kind: 1.5 })],
    ['negative kind', mutate({ kind: -1 })],
    ['unsafe created_at', mutate({ created_at: 2 ** 53 })],
    ['created_at as bigint', mutate({ created_at: BigInt(real.created_at) })],
    ['tags null', mutate({ tags: null })],
    ['tags as object', mutate({ tags: { 0: ['e', 'x'] } })],
    ['nested tag array', mutate({ tags: [[['e']]] })],
    ['content null', mutate({ content: null })],
    ['null', null],
    ['array', [plain]],
    ['string', JSON.stringify(plain)],
  ];

  it.each(corpus)('rejects %s with a reason', (_name, value) => {
    const r = validateEvent(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason.length).toBeGreaterThan(0);
  });
});

describe('checkEventStorable', () => {
  const ok = validateEvent(plain);
  const event = (ok.ok ? ok.event : undefined) as NostrEvent;

  it('rejects null characters, over-long tag values and oversized events', () => {
    expect(checkEventStorable({ ...event, content: 'a\0b' }).ok).toBe(false);
    expect(checkEventStorable({ ...event, tags: [['t', 'x\0']] }).ok).toBe(false);
    expect(checkEventStorable({ ...event, tags: [['t', 'x'.repeat(2049)]] }).ok).toBe(false);
    expect(checkEventStorable({ ...event, tags: [['t', 'x'.repeat(2048)]] }).ok).toBe(true);
    expect(checkEventStorable(event, { maxEventSize: 100 }).ok).toBe(false);
    expect(checkEventStorable(event, { maxEventSize: 100_000 }).ok).toBe(true);
  });
});

describe('kind classes and tag values', () => {
  it.each([
    [0, 'replaceable'],
    [1, 'regular'],
    [3, 'replaceable'],
    [44, 'regular'],
    [45, 'other'],
    [1000, 'regular'],
    [10002, 'replaceable'],
    [20000, 'ephemeral'],
    [30023, 'addressable'],
    [40000, 'other'],
  ])('kind %i is %s', (kind, cls) => {
    expect(eventKindClass(kind)).toBe(cls);
  });
});
