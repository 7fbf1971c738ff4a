import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CanonicalJsonError,
  canonicalJson,
  canonicalMetadataJson,
  compareCodePoints,
  metadataId,
  pyFloatRepr,
} from './canonical-json.js';

describe('metadata ids: the reference examples', () => {
  it.each([
    ['{}', '{}', '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'],
    ['{"b":2,"a":1}', '{"a":1,"b":2}', '43258cff783fe7036d8a43033f830adfc60ec037382473548ac742b888292777'],
    [
      '{"z":null,"a":[],"b":{},"c":"","d":0,"e":false}',
      '{"c":"","d":0,"e":false}',
      'a287be662371cdaa21ef3c5a604c091cf00324247e358f04dc5b588081e55ce9',
    ],
    [
      '{"data":{"geo_lat":52.0,"geo_lon":4.9},"logs":{"success":true}}',
      '{"data":{"geo_lat":52.0,"geo_lon":4.9},"logs":{"success":true}}',
      'b2a6530eb1a309007432d0f6898a9918c0017a2a93a91b781484c61c7945c0a5',
    ],
  ])('%s', (input, canonical, id) => {
    expect(canonicalMetadataJson(input)).toBe(canonical);
    expect(metadataId(input)).toBe(id);
  });

  it('writes float fields of JS values as floats when declared', () => {
    const doc = { data: { geo_lat: 52, geo_lon: 4.9 }, logs: { success: true } };
    const floatKeys = new Set(['geo_lat', 'geo_lon']);
    expect(canonicalJson(doc, { floatKeys })).toBe('{"data":{"geo_lat":52.0,"geo_lon":4.9},"logs":{"success":true}}');
    expect(canonicalJson(doc)).toBe('{"data":{"geo_lat":52,"geo_lon":4.9},"logs":{"success":true}}');
    expect(
      canonicalJson({ big: 1e21, n: -0, b: 12345678901234567890n, f: [1, 2.5] }, { floatKeys: new Set(['f']) }),
    ).toBe('{"b":12345678901234567890,"big":1000000000000000000000,"f":[1.0,2.5],"n":0}');
  });
});

describe('Python number rules', () => {
  it.each([
    [52, '52.0'],
    [100, '100.0'],
    [4.9, '4.9'],
    [1e-7, '1e-07'],
    [1e21, '1e+21'],
    [1.5, '1.5'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-0, '-0.0'],
    [-2.5e-300, '-2.5e-300'],
    [123456789.125, '123456789.125'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('repr(%s) = %s', (x, text) => {
    expect(pyFloatRepr(x)).toBe(text);
  });

  it('keeps integers exact and tells them from floats', () => {
    expect(canonicalMetadataJson('{"a":12345678901234567890,"b":1E5,"c":-0,"d":1e400,"e":NaN,"f":2.50}')).toBe(
      '{"a":12345678901234567890,"b":100000.0,"c":0,"f":2.5}',
    );
  });
});

describe('canonical text', () => {
  it('sorts by code point, escapes like Python, keeps non-ASCII raw, last duplicate key wins', () => {
    expect(canonicalMetadataJson('{"\\ud83d\\ude00":1,"\\uffff":2,"a":3}')).toBe('{"a":3,"\uffff":2,"😀":1}');
    expect(canonicalMetadataJson('{"s":"a/b\\u0001\\n\\u007fé\\"","k":1,"k":2}')).toBe(
      '{"k":2,"s":"a/b\\u0001\\n\u007fé\\""}',
    );
  });

  it('drops nulls and empties recursively and values nested deeper than 50', () => {
    expect(canonicalMetadataJson('{"x":{"y":null,"z":[[],{}]},"k":[null,1]}')).toBe('{"k":[1]}');
    const deep = `${'{"a":'.repeat(60)}1${'}'.repeat(60)}`;
    expect(canonicalMetadataJson(deep)).toBe('{}');
    const ok = `${'{"a":'.repeat(10)}1${'}'.repeat(10)}`;
    expect(canonicalMetadataJson(ok)).toBe(ok);
  });

  it('rejects null characters and bad JSON with clear errors', () => {
    expect(() => canonicalMetadataJson('{"a":"x\\u0000y"}')).toThrow(CanonicalJsonError);
    expect(() => canonicalMetadataJson('{"a":1')).toThrow(/position/);
    expect(() => canonicalMetadataJson('{"a":1} x')).toThrow(/extra data/);
  });

  it('compares strings by code point', () => {
    expect(compareCodePoints('\uffff', '😀')).toBeLessThan(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
  });
});

describe('canonical JSON properties', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  it('is idempotent, parses as JSON, and does not depend on key order', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = JSON.stringify(value);
        let canonical: string;
        try {
          canonical = canonicalMetadataJson(text);
        } catch (err) {
          expect(err).toBeInstanceOf(CanonicalJsonError);
          return;
        }
        expect(canonicalMetadataJson(canonical)).toBe(canonical);
        expect(() => JSON.parse(canonical)).not.toThrow();
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          expect(canonicalMetadataJson(JSON.stringify(reversed))).toBe(canonical);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
