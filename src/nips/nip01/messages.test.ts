/** NIP-01 (and NIP-42/45/77) relay message parsing: examples, malformed variants and properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ev, events, expectInvalid, ID, j, relay } from '../../testing/vitest/nip01-messages.js';
import { parseClientMessage, parseRelayMessage } from './messages.js';

describe('parseRelayMessage: valid messages', () => {
  it('EVENT', () => {
    expect(relay(['EVENT', 'sub1', ev])).toEqual({ ok: true, value: { type: 'EVENT', subId: 'sub1', event: ev } });
  });
  it('OK accepted and refused', () => {
    expect(relay(['OK', ID, true, ''])).toEqual({
      ok: true,
      value: { type: 'OK', eventId: ID, accepted: true, message: '' },
    });
    expect(relay(['OK', ID, false, 'pow: difficulty 25>=24'])).toEqual({
      ok: true,
      value: { type: 'OK', eventId: ID, accepted: false, message: 'pow: difficulty 25>=24' },
    });
  });
  it('EOSE', () => {
    expect(relay(['EOSE', 'sub1'])).toEqual({ ok: true, value: { type: 'EOSE', subId: 'sub1' } });
  });
  it('CLOSED', () => {
    expect(relay(['CLOSED', 'sub1', 'auth-required: please auth'])).toEqual({
      ok: true,
      value: { type: 'CLOSED', subId: 'sub1', message: 'auth-required: please auth' },
    });
    expect(relay(['CLOSED', 'sub1', ''])).toEqual({ ok: true, value: { type: 'CLOSED', subId: 'sub1', message: '' } });
  });
  it('NOTICE', () => {
    expect(relay(['NOTICE', 'hello'])).toEqual({ ok: true, value: { type: 'NOTICE', message: 'hello' } });
  });
  it('AUTH', () => {
    expect(relay(['AUTH', 'challenge-123'])).toEqual({ ok: true, value: { type: 'AUTH', challenge: 'challenge-123' } });
  });
  it('COUNT exact, approximate and approximate false', () => {
    expect(relay(['COUNT', 'c', { count: 42 }])).toEqual({
      ok: true,
      value: { type: 'COUNT', subId: 'c', count: 42, approximate: false },
    });
    expect(relay(['COUNT', 'c', { count: 0 }])).toEqual({
      ok: true,
      value: { type: 'COUNT', subId: 'c', count: 0, approximate: false },
    });
    expect(relay(['COUNT', 'c', { count: 93412452, approximate: true }])).toEqual({
      ok: true,
      value: { type: 'COUNT', subId: 'c', count: 93412452, approximate: true },
    });
    expect(relay(['COUNT', 'c', { count: 5, approximate: false }])).toEqual({
      ok: true,
      value: { type: 'COUNT', subId: 'c', count: 5, approximate: false },
    });
  });
  it('NEG-MSG', () => {
    expect(relay(['NEG-MSG', 'n1', '6100000200'])).toEqual({
      ok: true,
      value: { type: 'NEG-MSG', subId: 'n1', message: '6100000200' },
    });
  });
  it('NEG-ERR', () => {
    expect(relay(['NEG-ERR', 'n1', 'blocked: too many records'])).toEqual({
      ok: true,
      value: { type: 'NEG-ERR', subId: 'n1', message: 'blocked: too many records' },
    });
  });
  it('subscription ids of 1 and 256 characters are accepted', () => {
    expect(relay(['EOSE', 'x'])).toEqual({ ok: true, value: { type: 'EOSE', subId: 'x' } });
    const long = 'a'.repeat(256);
    expect(relay(['EOSE', long])).toEqual({ ok: true, value: { type: 'EOSE', subId: long } });
  });
});

describe('parseRelayMessage: malformed messages are invalid', () => {
  const long = 'a'.repeat(257);
  const cases: [string, string][] = [
    ['not JSON', '["EOSE", "x"'],
    ['not JSON (garbage)', 'hello'],
    ['empty text', ''],
    ['JSON object', j({ type: 'EOSE', subId: 'x' })],
    ['JSON string', j('EOSE')],
    ['JSON number', '42'],
    ['JSON null', 'null'],
    ['empty array', '[]'],
    ['array starting with a number', j([1, 'x'])],
    ['array starting with null', j([null, 'x'])],
    ['array starting with an array', j([['EOSE'], 'x'])],
    ['unknown type', j(['FOO', 'x'])],
    ['lower-case type', j(['eose', 'x'])],
    ['client-only type REQ', j(['REQ', 'x', {}])],
    // EVENT
    ['EVENT missing event', j(['EVENT', 'sub'])],
    ['EVENT extra element', j(['EVENT', 'sub', ev, 'x'])],
    ['EVENT without subscription id', j(['EVENT', ev])],
    ['EVENT numeric subscription id', j(['EVENT', 1, ev])],
    ['EVENT empty subscription id', j(['EVENT', '', ev])],
    ['EVENT over-long subscription id', j(['EVENT', long, ev])],
    ['EVENT event is a string', j(['EVENT', 'sub', 'event'])],
    ['EVENT event is null', j(['EVENT', 'sub', null])],
    ['EVENT event is an array', j(['EVENT', 'sub', [ev]])],
    ['EVENT upper-case hex id', j(['EVENT', 'sub', { ...ev, id: ev.id.toUpperCase() }])],
    ['EVENT upper-case hex pubkey', j(['EVENT', 'sub', { ...ev, pubkey: ev.pubkey.toUpperCase() }])],
    ['EVENT short id', j(['EVENT', 'sub', { ...ev, id: ev.id.slice(1) }])],
    ['EVENT missing id', j(['EVENT', 'sub', { ...ev, id: undefined }])],
    ['EVENT missing sig', j(['EVENT', 'sub', { ...ev, sig: undefined }])],
    ['EVENT missing tags', j(['EVENT', 'sub', { ...ev, tags: undefined }])],
    ['EVENT missing content', j(['EVENT', 'sub', { ...ev, content: undefined }])],
    ['EVENT missing created_at', j(['EVENT', 'sub', { ...ev, created_at: undefined }])],
    ['EVENT missing kind', j(['EVENT', 'sub', { ...ev, kind: undefined }])],
    ['EVENT string kind', j(['EVENT', 'sub', { ...ev, kind: '1' }])],
    ['EVENT string created_at', j(['EVENT', 'sub', { ...ev, created_at: '1700000000' }])],
    ['EVENT numeric content', j(['EVENT', 'sub', { ...ev, content: 1 }])],
    ['EVENT tags not an array', j(['EVENT', 'sub', { ...ev, tags: {} }])],
    ['EVENT tag value not a string', j(['EVENT', 'sub', { ...ev, tags: [['e', 1]] }])],
    ['EVENT tag not an array', j(['EVENT', 'sub', { ...ev, tags: ['e'] }])],
    ['EVENT kind 70000', j(['EVENT', 'sub', { ...ev, kind: 70000 }])],
    ['EVENT kind -1', j(['EVENT', 'sub', { ...ev, kind: -1 }])],
    ['EVENT fractional kind', j(['EVENT', 'sub', { ...ev, kind: 1.5 }])],
    ['EVENT negative created_at', j(['EVENT', 'sub', { ...ev, created_at: -1 }])],
    ['EVENT fractional created_at', j(['EVENT', 'sub', { ...ev, created_at: 1.5 }])],
    // OK
    ['OK missing message', j(['OK', ID, true])],
    ['OK extra element', j(['OK', ID, true, '', ''])],
    ['OK upper-case hex id', j(['OK', ID.toUpperCase(), true, ''])],
    ['OK 63-char id', j(['OK', ID.slice(1), true, ''])],
    ['OK non-hex id', j(['OK', `${ID.slice(1)}g`, true, ''])],
    ['OK numeric id', j(['OK', 1, true, ''])],
    ['OK string boolean', j(['OK', ID, 'true', ''])],
    ['OK numeric boolean', j(['OK', ID, 1, ''])],
    ['OK null message', j(['OK', ID, true, null])],
    // EOSE
    ['EOSE missing subscription id', j(['EOSE'])],
    ['EOSE extra element', j(['EOSE', 'x', 'y'])],
    ['EOSE numeric subscription id', j(['EOSE', 1])],
    ['EOSE empty subscription id', j(['EOSE', ''])],
    ['EOSE over-long subscription id', j(['EOSE', long])],
    // CLOSED
    ['CLOSED missing message', j(['CLOSED', 'x'])],
    ['CLOSED extra element', j(['CLOSED', 'x', 'm', 'n'])],
    ['CLOSED numeric message', j(['CLOSED', 'x', 1])],
    ['CLOSED empty subscription id', j(['CLOSED', '', 'm'])],
    ['CLOSED over-long subscription id', j(['CLOSED', long, 'm'])],
    // NOTICE
    ['NOTICE missing message', j(['NOTICE'])],
    ['NOTICE extra element', j(['NOTICE', 'a', 'b'])],
    ['NOTICE numeric message', j(['NOTICE', 1])],
    // AUTH
    ['AUTH missing challenge', j(['AUTH'])],
    ['AUTH extra element', j(['AUTH', 'a', 'b'])],
    ['AUTH object challenge', j(['AUTH', {}])],
    // COUNT
    ['COUNT missing object', j(['COUNT', 'c'])],
    ['COUNT extra element', j(['COUNT', 'c', { count: 1 }, {}])],
    ['COUNT number instead of object', j(['COUNT', 'c', 1])],
    ['COUNT null instead of object', j(['COUNT', 'c', null])],
    ['COUNT missing count', j(['COUNT', 'c', {}])],
    ['COUNT string count', j(['COUNT', 'c', { count: '1' }])],
    ['COUNT negative count', j(['COUNT', 'c', { count: -1 }])],
    ['COUNT fractional count', j(['COUNT', 'c', { count: 1.5 }])],
    ['COUNT unsafe integer count', j(['COUNT', 'c', { count: 2 ** 60 }])],
    ['COUNT string approximate', j(['COUNT', 'c', { count: 1, approximate: 'true' }])],
    ['COUNT null approximate', j(['COUNT', 'c', { count: 1, approximate: null }])],
    ['COUNT empty subscription id', j(['COUNT', '', { count: 1 }])],
    ['COUNT over-long subscription id', j(['COUNT', long, { count: 1 }])],
    // NEG-MSG
    ['NEG-MSG missing message', j(['NEG-MSG', 'n'])],
    ['NEG-MSG extra element', j(['NEG-MSG', 'n', '61', '62'])],
    ['NEG-MSG non-hex', j(['NEG-MSG', 'n', 'zz'])],
    ['NEG-MSG upper-case hex', j(['NEG-MSG', 'n', '6A'])],
    ['NEG-MSG odd length', j(['NEG-MSG', 'n', '610'])],
    ['NEG-MSG empty message', j(['NEG-MSG', 'n', ''])],
    ['NEG-MSG numeric message', j(['NEG-MSG', 'n', 61])],
    ['NEG-MSG empty subscription id', j(['NEG-MSG', '', '61'])],
    ['NEG-MSG over-long subscription id', j(['NEG-MSG', long, '61'])],
    // NEG-ERR
    ['NEG-ERR missing reason', j(['NEG-ERR', 'n'])],
    ['NEG-ERR extra element', j(['NEG-ERR', 'n', 'r', 's'])],
    ['NEG-ERR numeric reason', j(['NEG-ERR', 'n', 1])],
    ['NEG-ERR empty subscription id', j(['NEG-ERR', '', 'r'])],
    ['NEG-ERR over-long subscription id', j(['NEG-ERR', long, 'r'])],
  ];
  it.each(cases)('%s', (_label, text) => {
    expectInvalid(parseRelayMessage(text));
  });
});
const isOkOrInvalid = (r: unknown): boolean => {
  const x = r as { ok: unknown; reason?: unknown };
  return x.ok === true || (x.ok === false && x.reason === 'invalid');
};

describe('properties', () => {
  it('parseRelayMessage never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => isOkOrInvalid(parseRelayMessage(s))),
      { numRuns: 300 },
    );
  });

  it('parseRelayMessage never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => isOkOrInvalid(parseRelayMessage(JSON.stringify(v)))),
      { numRuns: 300 },
    );
  });

  it('parseRelayMessage never throws on arrays starting with a known type', () => {
    const type = fc.constantFrom('EVENT', 'OK', 'EOSE', 'CLOSED', 'NOTICE', 'AUTH', 'COUNT', 'NEG-MSG', 'NEG-ERR');
    fc.assert(
      fc.property(type, fc.array(fc.jsonValue(), { maxLength: 4 }), (t, rest) =>
        isOkOrInvalid(parseRelayMessage(JSON.stringify([t, ...rest]))),
      ),
      { numRuns: 300 },
    );
  });

  it('valid relay messages round-trip to exactly the expected structure', () => {
    const subId = fc.string({ minLength: 1, maxLength: 64 });
    const message = fc.string({ maxLength: 100 });
    const event = fc.constantFrom(...events);
    const hex = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b).toString('hex'));
    const count = fc.nat();
    type Case = { msg: unknown[]; expected: Record<string, unknown> };
    const cases: fc.Arbitrary<Case> = fc.oneof(
      fc
        .tuple(subId, event)
        .map(([s, e]) => ({ msg: ['EVENT', s, e], expected: { type: 'EVENT', subId: s, event: e } })),
      fc.tuple(event, fc.boolean(), message).map(([e, a, m]) => ({
        msg: ['OK', e.id, a, m],
        expected: { type: 'OK', eventId: e.id, accepted: a, message: m },
      })),
      subId.map((s) => ({ msg: ['EOSE', s], expected: { type: 'EOSE', subId: s } })),
      fc.tuple(subId, message).map(([s, m]) => ({
        msg: ['CLOSED', s, m],
        expected: { type: 'CLOSED', subId: s, message: m },
      })),
      message.map((m) => ({ msg: ['NOTICE', m], expected: { type: 'NOTICE', message: m } })),
      message.map((m) => ({ msg: ['AUTH', m], expected: { type: 'AUTH', challenge: m } })),
      fc.tuple(subId, count, fc.option(fc.boolean(), { nil: undefined })).map(([s, n, a]) => ({
        msg: ['COUNT', s, a === undefined ? { count: n } : { count: n, approximate: a }],
        expected: { type: 'COUNT', subId: s, count: n, approximate: a === true },
      })),
      fc.tuple(subId, hex).map(([s, h]) => ({
        msg: ['NEG-MSG', s, h],
        expected: { type: 'NEG-MSG', subId: s, message: h },
      })),
      fc.tuple(subId, message).map(([s, m]) => ({
        msg: ['NEG-ERR', s, m],
        expected: { type: 'NEG-ERR', subId: s, message: m },
      })),
    );
    fc.assert(
      fc.property(cases, ({ msg, expected }) => {
        expect(parseRelayMessage(JSON.stringify(msg))).toEqual({ ok: true, value: expected });
      }),
      { numRuns: 300 },
    );
  });

  it('parseClientMessage never throws on any string or JSON value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => isOkOrInvalid(parseClientMessage(s))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => isOkOrInvalid(parseClientMessage(JSON.stringify(v)))),
      { numRuns: 300 },
    );
    const type = fc.constantFrom('EVENT', 'REQ', 'COUNT', 'CLOSE', 'AUTH', 'NEG-OPEN', 'NEG-MSG', 'NEG-CLOSE');
    fc.assert(
      fc.property(type, fc.array(fc.jsonValue(), { maxLength: 4 }), (t, rest) =>
        isOkOrInvalid(parseClientMessage(JSON.stringify([t, ...rest]))),
      ),
      { numRuns: 300 },
    );
  });
});
