import { Reader } from 'maxmind';
import { describe, expect, it } from 'vitest';
import { encodeValue, type MmdbEntry, mmdbTyped, writeMmdb } from './mmdb-writer.js';

const entries: MmdbEntry[] = [
  { network: '10.0.0.0/8', data: { name: 'ten', n: 1 } },
  { network: '10.1.0.0/16', data: { name: 'ten-one', n: 2 } },
  { network: '93.184.216.0/24', data: { name: 'example', n: 70_000, neg: -5, ok: true, no: false } },
  { network: '2001:db8::/32', data: { name: 'doc', list: ['a', 'b', 3], nested: { x: { y: 'z' } } } },
  { network: '2a00:1450:4001::/48', data: { name: 'v6', big: 2n ** 40n, lat: 52.52, whole: mmdbTyped('double', 13) } },
];

describe('writeMmdb', () => {
  for (const recordSize of [24, 28] as const) {
    it(`writes a database the maxmind reader reads back (record size ${recordSize})`, () => {
      const reader = new Reader<Record<string, unknown>>(writeMmdb(entries, { databaseType: 'Test-DB', recordSize }));
      expect(reader.metadata.databaseType).toBe('Test-DB');
      expect(reader.metadata.recordSize).toBe(recordSize);
      expect(reader.metadata.ipVersion).toBe(6);
      expect(reader.metadata.binaryFormatMajorVersion).toBe(2);
      expect(reader.metadata.languages).toEqual(['en']);
      expect(reader.metadata.description).toEqual({ en: 'test database' });
      expect(reader.metadata.buildEpoch).toEqual(new Date(1_700_000_000_000));

      // like MaxMind's own databases, a network with a more specific one inside is split around it
      expect(reader.getWithPrefixLength('10.2.3.4')).toEqual([{ name: 'ten', n: 1 }, 15]);
      expect(reader.getWithPrefixLength('10.200.3.4')).toEqual([{ name: 'ten', n: 1 }, 9]);
      expect(reader.getWithPrefixLength('10.1.255.255')).toEqual([{ name: 'ten-one', n: 2 }, 16]);
      expect(reader.get('10.255.0.1')).toEqual({ name: 'ten', n: 1 });
      expect(reader.getWithPrefixLength('93.184.216.34')).toEqual([
        { name: 'example', n: 70_000, neg: -5, ok: true, no: false },
        24,
      ]);
      expect(reader.get('2001:db8:ffff::1')).toEqual({ name: 'doc', list: ['a', 'b', 3], nested: { x: { y: 'z' } } });
      expect(reader.getWithPrefixLength('2a00:1450:4001:81c::200e')).toEqual([
        { name: 'v6', big: 2n ** 40n, lat: 52.52, whole: 13 },
        48,
      ]);

      for (const outside of ['9.255.255.255', '11.0.0.0', '93.184.217.1', '2001:db9::1', '2a00:1450:4002::1', '::1']) {
        expect(reader.get(outside)).toBeNull();
      }
    });
  }

  it('writes an empty database', () => {
    const reader = new Reader(writeMmdb([], { databaseType: 'Empty' }));
    expect(reader.get('1.2.3.4')).toBeNull();
    expect(reader.get('2001:db8::1')).toBeNull();
  });

  it('encodes long strings, large maps and arrays with extended sizes', () => {
    const long = 'x'.repeat(70_000);
    const medium = 'y'.repeat(300);
    const list = Array.from({ length: 40 }, (_, i) => i);
    const reader = new Reader(
      writeMmdb([{ network: '1.0.0.0/8', data: { long, medium, list, f: mmdbTyped('float', 1.5) } }], {
        databaseType: 'Big',
      }),
    );
    expect(reader.get('1.1.1.1')).toEqual({ long, medium, list, f: 1.5 });
  });

  it('rejects malformed networks and out-of-range integers', () => {
    expect(() => writeMmdb([{ network: '1.2.3.4', data: {} }], { databaseType: 'X' })).toThrow(/CIDR/);
    expect(() => writeMmdb([{ network: '1.2.3.4/33', data: {} }], { databaseType: 'X' })).toThrow(/CIDR/);
    expect(() => writeMmdb([{ network: 'nope/8', data: {} }], { databaseType: 'X' })).toThrow(/CIDR/);
    expect(() => encodeValue(mmdbTyped('uint16', 70_000))).toThrow(/uint16/);
  });
});
