import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { signEvent, testSecretKey } from '../../testing/events.js';
import { isAddressedElsewhere, isExpired, MAX_PARAM_LENGTH, MAX_PARAMS, parseJobRequest } from './request.js';

const request = (tags: string[][], created_at = 1_700_000_000): NostrEvent =>
  signEvent({ kind: 5050, created_at, tags, content: '' }, testSecretKey(3, 0));
const errorCode = (tags: string[][]) => {
  const r = parseJobRequest(request(tags));
  return r.ok ? 'ok' : r.error.code;
};

describe('parseJobRequest', () => {
  it('reads the params and the bid', () => {
    const r = parseJobRequest(
      request([
        ['param', 'table', 'relay'],
        ['param', 'limit', '5'],
        ['param', 'offset', '10'],
        ['param', 'filter', 'network=clearnet'],
        ['param', 'sort', 'url:desc'],
        ['bid', '2000'],
        ['output', 'application/json'],
      ]),
    );
    expect(r.ok && r.value.params).toEqual({
      table: 'relay',
      limit: '5',
      offset: '10',
      filter: 'network=clearnet',
      sort: 'url:desc',
    });
    expect(r.ok && r.value.bid).toBe(2000);
  });

  it('refuses malformed requests with a code', () => {
    expect(errorCode([])).toBe('missing_table');
    expect(errorCode([['param', 'limit', '5']])).toBe('missing_table');
    expect(errorCode([['param', 'table', '']])).toBe('missing_table');
    expect(errorCode([['param', 'table']])).toBe('invalid_param');
    expect(errorCode([['param']])).toBe('invalid_param');
    expect(errorCode([['param', 'drop', 'x']])).toBe('unknown_param');
    expect(errorCode([['param', '__proto__', 'x']])).toBe('unknown_param');
    expect(
      errorCode([
        ['param', 'table', 'a'],
        ['param', 'table', 'b'],
      ]),
    ).toBe('repeated_param');
    expect(errorCode([['param', 'filter', 'x'.repeat(MAX_PARAM_LENGTH + 1)]])).toBe('invalid_param');
    expect(errorCode(Array.from({ length: MAX_PARAMS + 1 }, () => ['param', 'limit', '1']))).toBe('too_many_params');
    const table = ['param', 'table', 'relay'];
    expect(errorCode([table, ['bid', 'lots']])).toBe('invalid_bid');
    expect(errorCode([table, ['bid', '-5']])).toBe('invalid_bid');
    expect(errorCode([table, ['bid']])).toBe('invalid_bid');
    expect(errorCode([table, ['bid', '99999999999999999']])).toBe('invalid_bid');
    expect(errorCode([table, ['bid', '1'], ['bid', '2']])).toBe('invalid_bid');
    expect(errorCode([table, ['encrypted'], ['p', 'x']])).toBe('encrypted_unsupported');
    expect(errorCode([table])).toBe('ok');
  });

  it('tells who a request is for and whether it expired', () => {
    const me = 'a'.repeat(64);
    expect(isAddressedElsewhere(request([]), me)).toBe(false);
    expect(isAddressedElsewhere(request([['p', me]]), me)).toBe(false);
    expect(isAddressedElsewhere(request([['p', 'b'.repeat(64)]]), me)).toBe(true);
    expect(
      isAddressedElsewhere(
        request([
          ['p', 'b'.repeat(64)],
          ['p', me],
        ]),
        me,
      ),
    ).toBe(false);
    expect(isExpired(request([['expiration', '100']]), 100)).toBe(true);
    expect(isExpired(request([['expiration', '101']]), 100)).toBe(false);
    expect(isExpired(request([['expiration', 'soon']]), 100)).toBe(false);
    expect(isExpired(request([]), 100)).toBe(false);
  });
});
