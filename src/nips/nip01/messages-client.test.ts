/**
 * NIP-01 (and NIP-42/45/77) client message parsing, and the machine-readable prefixes of OK and CLOSED messages.
 */
import { describe, expect, it } from 'vitest';
import { client, ev, ev2, expectInvalid, j, PK } from '../../testing/vitest/nip01-messages.js';
import { messagePrefix, parseClientMessage, reasonOfRefusal } from './messages.js';

describe('parseClientMessage', () => {
  const f1 = { kinds: [1], limit: 10 };
  const f2 = { authors: [PK], '#t': ['nostr'], since: 0, until: 100 };

  it('EVENT', () => {
    expect(client(['EVENT', ev])).toEqual({ ok: true, value: { type: 'EVENT', event: ev } });
  });
  it('AUTH', () => {
    expect(client(['AUTH', ev2])).toEqual({ ok: true, value: { type: 'AUTH', event: ev2 } });
  });
  it('REQ with one and several filters', () => {
    expect(client(['REQ', 's', f1])).toEqual({ ok: true, value: { type: 'REQ', subId: 's', filters: [f1] } });
    expect(client(['REQ', 's', f1, f2, {}])).toEqual({
      ok: true,
      value: { type: 'REQ', subId: 's', filters: [f1, f2, {}] },
    });
  });
  it('COUNT', () => {
    expect(client(['COUNT', 'c', f1, f2])).toEqual({
      ok: true,
      value: { type: 'COUNT', subId: 'c', filters: [f1, f2] },
    });
  });
  it('CLOSE and NEG-CLOSE', () => {
    expect(client(['CLOSE', 's'])).toEqual({ ok: true, value: { type: 'CLOSE', subId: 's' } });
    expect(client(['NEG-CLOSE', 'n'])).toEqual({ ok: true, value: { type: 'NEG-CLOSE', subId: 'n' } });
  });
  it('NEG-OPEN', () => {
    expect(client(['NEG-OPEN', 'n', f1, '6100000200'])).toEqual({
      ok: true,
      value: { type: 'NEG-OPEN', subId: 'n', filter: f1, message: '6100000200' },
    });
  });
  it('NEG-MSG', () => {
    expect(client(['NEG-MSG', 'n', 'abcdef'])).toEqual({
      ok: true,
      value: { type: 'NEG-MSG', subId: 'n', message: 'abcdef' },
    });
  });

  const long = 'a'.repeat(257);
  const invalid: [string, string][] = [
    ['not JSON', '{'],
    ['object', j({ type: 'REQ' })],
    ['empty array', '[]'],
    ['array starting with a number', j([1])],
    ['unknown type', j(['FOO', 's'])],
    ['relay-only type EOSE', j(['EOSE', 's'])],
    ['EVENT with subscription id', j(['EVENT', 's', ev])],
    ['EVENT missing event', j(['EVENT'])],
    ['EVENT upper-case id', j(['EVENT', { ...ev, id: ev.id.toUpperCase() }])],
    ['EVENT kind 70000', j(['EVENT', { ...ev, kind: 70000 }])],
    ['EVENT negative created_at', j(['EVENT', { ...ev, created_at: -5 }])],
    ['AUTH with a string', j(['AUTH', 'challenge'])],
    ['AUTH extra element', j(['AUTH', ev, ev])],
    ['REQ with zero filters', j(['REQ', 's'])],
    ['REQ empty subscription id', j(['REQ', '', f1])],
    ['REQ over-long subscription id', j(['REQ', long, f1])],
    ['REQ numeric subscription id', j(['REQ', 1, f1])],
    ['REQ filter is an array', j(['REQ', 's', [f1]])],
    ['REQ filter is a string', j(['REQ', 's', 'f'])],
    ['REQ one bad filter among good ones', j(['REQ', 's', f1, { kinds: [70000] }])],
    ['REQ filter with unknown key', j(['REQ', 's', { foo: 1 }])],
    ['COUNT with zero filters', j(['COUNT', 'c'])],
    ['COUNT bad filter', j(['COUNT', 'c', { limit: '1' }])],
    ['CLOSE missing subscription id', j(['CLOSE'])],
    ['CLOSE extra element', j(['CLOSE', 's', 's'])],
    ['CLOSE empty subscription id', j(['CLOSE', ''])],
    ['NEG-CLOSE over-long subscription id', j(['NEG-CLOSE', long])],
    ['NEG-OPEN missing message', j(['NEG-OPEN', 'n', f1])],
    ['NEG-OPEN non-hex message', j(['NEG-OPEN', 'n', f1, 'xyz0'])],
    ['NEG-OPEN odd-length message', j(['NEG-OPEN', 'n', f1, '610'])],
    ['NEG-OPEN bad filter', j(['NEG-OPEN', 'n', { ids: ['ab'] }, '61'])],
    ['NEG-OPEN filter is an array', j(['NEG-OPEN', 'n', [f1], '61'])],
    ['NEG-MSG non-hex', j(['NEG-MSG', 'n', 'hello!'])],
    ['NEG-MSG odd length', j(['NEG-MSG', 'n', 'abc'])],
    ['NEG-MSG extra element', j(['NEG-MSG', 'n', 'ab', 'cd'])],
  ];
  it.each(invalid)('invalid: %s', (_label, text) => {
    expectInvalid(parseClientMessage(text));
  });
});

describe('messagePrefix and reasonOfRefusal', () => {
  it.each([
    'duplicate',
    'pow',
    'blocked',
    'rate-limited',
    'invalid',
    'restricted',
    'auth-required',
    'error',
    'mute',
  ] as const)('known prefix %s', (p) => {
    expect(messagePrefix(`${p}: some words`)).toBe(p);
    expect(messagePrefix(`${p}:`)).toBe(p);
  });
  it('unknown, missing or leading-colon prefixes give undefined', () => {
    expect(messagePrefix('whatever: x')).toBeUndefined();
    expect(messagePrefix('pow difficulty 20')).toBeUndefined();
    expect(messagePrefix('')).toBeUndefined();
    expect(messagePrefix(':pow')).toBeUndefined();
    expect(messagePrefix(': blocked')).toBeUndefined();
  });
  it('finds the prefix behind decoration, as real relays send it', () => {
    // strfry prefixes every CLOSED reason with "ERROR: "
    expect(messagePrefix('ERROR: auth-required: requested filter requires authentication')).toBe('auth-required');
    expect(messagePrefix('ERROR: bad req: too many filters')).toBe('error');
    expect(messagePrefix('error: rate-limited: slow down')).toBe('rate-limited');
    expect(messagePrefix('POW: x')).toBe('pow');
    expect(messagePrefix(' blocked: x')).toBe('blocked');
    expect(messagePrefix('notice: whatever: restricted: x')).toBe('restricted');
    // only three leading words are read, and only words directly followed by a colon
    expect(messagePrefix('a: b: c: blocked: x')).toBeUndefined();
    expect(messagePrefix('the relay said blocked: x')).toBeUndefined();
    expect(reasonOfRefusal('ERROR: auth-required: requested filter requires authentication')).toBe('auth-required');
    expect(reasonOfRefusal('ERROR: restricted: payment required')).toBe('payment-required');
  });
  it('reasonOfRefusal maps prefixes and wording to probe reasons', () => {
    expect(reasonOfRefusal('auth-required: we only serve our members')).toBe('auth-required');
    expect(reasonOfRefusal('rate-limited: slow down')).toBe('rate-limited');
    // words that merely start with "pay" are not about payment
    expect(reasonOfRefusal('invalid: payload too large')).toBe('invalid');
    expect(reasonOfRefusal('blocked: payout address banned')).toBe('refused');
    expect(reasonOfRefusal('restricted: paying members only')).toBe('payment-required');
    expect(reasonOfRefusal('restricted: payment required')).toBe('payment-required');
    expect(reasonOfRefusal('blocked: you are banned')).toBe('refused');
    expect(reasonOfRefusal('restricted: not allowed to write')).toBe('refused');
    expect(reasonOfRefusal('mute: no one was listening')).toBe('refused');
    expect(reasonOfRefusal('error: x')).toBe('invalid');
    expect(reasonOfRefusal('invalid: bad filter')).toBe('invalid');
    expect(reasonOfRefusal('no prefix at all')).toBe('invalid');
  });
});
