import { describe, expect, it } from 'vitest';
import { checkStateValue, parseServiceState } from './service-state.js';

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
