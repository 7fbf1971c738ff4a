import { describe, expect, it } from 'vitest';
import { checkStateValue, parseServiceState, readSyncCursor, syncCursorValue, ZERO_EVENT_ID } from './service-state.js';

describe('checkStateValue', () => {
  it('accepts JSON objects, nested values and nulls', () => {
    const value = { network: 'tor', failures: 2, cursor: { until: 5, ids: ['a', null] }, note: null };
    expect(checkStateValue(value)).toEqual({ ok: true, value });
  });

  it.each([
    ['null', null],
    ['an array', [1]],
    ['a string', 'x'],
    ['a number', 5],
    ['a null character in a string', { a: 'x\0' }],
    ['a null character in a key', { 'a\0': 1 }],
    ['a null character deep inside', { a: [{ b: ['ok', 'x\0y'] }] }],
    ['a non-finite number', { a: Number.POSITIVE_INFINITY }],
    ['NaN in an array', { a: [Number.NaN] }],
  ])('rejects %s', (_name, value) => {
    const r = checkStateValue(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.detail).toBeTruthy();
  });
});

describe('parseServiceState', () => {
  it('builds a row from valid parts', () => {
    expect(
      parseServiceState({
        serviceName: 'finder',
        stateType: 'cursor',
        stateKey: 'wss://r.example.com',
        stateValue: {},
      }),
    ).toEqual({
      ok: true,
      value: { serviceName: 'finder', stateType: 'cursor', stateKey: 'wss://r.example.com', stateValue: {} },
    });
  });

  it.each([
    ['an unknown service', { serviceName: 'crawler', stateType: 'cursor', stateKey: 'k', stateValue: {} }],
    ['an unknown state type', { serviceName: 'finder', stateType: 'blob', stateKey: 'k', stateValue: {} }],
    ['a non-string key', { serviceName: 'finder', stateType: 'cursor', stateKey: 1, stateValue: {} }],
    ['a key with a null character', { serviceName: 'finder', stateType: 'cursor', stateKey: 'k\0', stateValue: {} }],
    ['a value that is not an object', { serviceName: 'finder', stateType: 'cursor', stateKey: 'k', stateValue: [] }],
  ])('rejects %s', (_name, row) => {
    expect(parseServiceState(row).ok).toBe(false);
  });
});

describe('synchronizer cursors in the reference shape', () => {
  const id = 'ab'.repeat(32);

  it('writes {timestamp, id}, with the zero id when there is no last event', () => {
    expect(syncCursorValue(1_700_000_000, id)).toEqual({ timestamp: 1_700_000_000, id });
    expect(syncCursorValue(1_700_000_000, id.toUpperCase())).toEqual({ timestamp: 1_700_000_000, id });
    expect(syncCursorValue(5)).toEqual({ timestamp: 5, id: ZERO_EVENT_ID });
    expect(ZERO_EVENT_ID).toMatch(/^0{64}$/);
    // the keys the reference's reader requires, as JSON
    expect(JSON.parse(JSON.stringify(syncCursorValue(7)))).toEqual({ timestamp: 7, id: '0'.repeat(64) });
  });

  it('refuses a timestamp that is not a safe integer or an id that is not 64 hex characters', () => {
    expect(() => syncCursorValue(1.5)).toThrow(RangeError);
    expect(() => syncCursorValue(Number.NaN)).toThrow(RangeError);
    expect(() => syncCursorValue(2 ** 53)).toThrow(RangeError);
    expect(() => syncCursorValue(1, 'xyz')).toThrow(RangeError);
    expect(() => syncCursorValue(1, `${id}00`)).toThrow(RangeError);
  });

  it('reads both shapes and integer strings', () => {
    expect(readSyncCursor({ timestamp: 10, id })).toEqual({ ok: true, value: { timestamp: 10, id } });
    expect(readSyncCursor({ timestamp: 10 })).toEqual({ ok: true, value: { timestamp: 10, id: ZERO_EVENT_ID } });
    expect(readSyncCursor({ timestamp: '10', id: id.toUpperCase() })).toEqual({
      ok: true,
      value: { timestamp: 10, id },
    });
    expect(readSyncCursor(syncCursorValue(42, id))).toEqual({ ok: true, value: { timestamp: 42, id } });
    expect(readSyncCursor({ timestamp: 3, id, extra: true })).toEqual({ ok: true, value: { timestamp: 3, id } });
  });

  it.each([
    ['null', null],
    ['an array', [1]],
    ['no timestamp', { id: 'ab'.repeat(32) }],
    ['a fractional timestamp', { timestamp: 1.5 }],
    ['a non-numeric string', { timestamp: '1e3' }],
    ['an unsafe integer', { timestamp: 2 ** 53 }],
    ['a short id', { timestamp: 1, id: 'abc' }],
    ['a non-string id', { timestamp: 1, id: 5 }],
  ])('fails with a reason on %s', (_name, value) => {
    const r = readSyncCursor(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.detail).toBeTruthy();
  });
});
