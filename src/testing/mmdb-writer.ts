import { parseIPv4, parseIPv6 } from '../models/ip.js';

/** Marks a value that must be written with an explicit MMDB type (plain numbers pick one themselves). */
export const MMDB_TYPE: unique symbol = Symbol('mmdb-type');

/** A number written with an explicit MMDB type. */
export interface MmdbTyped {
  readonly [MMDB_TYPE]: 'double' | 'float' | 'uint16' | 'uint32' | 'int32' | 'uint64';
  readonly value: number | bigint;
}

/** A value of the data section: integers become uint32 (int32 if negative), other numbers doubles, bigints uint64. */
export type MmdbValue =
  | string
  | number
  | bigint
  | boolean
  | MmdbTyped
  | readonly MmdbValue[]
  | { readonly [key: string]: MmdbValue };

/** One network (`'1.2.3.0/24'`, `'2001:db8::/32'`) and the record stored for it. */
export interface MmdbEntry {
  readonly network: string;
  readonly data: { readonly [key: string]: MmdbValue };
}

/** Options of `writeMmdb`. */
export interface MmdbWriteOpts {
  /** `database_type` of the metadata, e.g. `'GeoLite2-City'` or `'GeoLite2-ASN'`. */
  readonly databaseType: string;
  /** Bits per tree record; default 24. */
  readonly recordSize?: 24 | 28;
  /** Default `['en']`. */
  readonly languages?: readonly string[];
  /** Default `{ en: 'test database' }`. */
  readonly description?: { readonly [lang: string]: string };
  /** Seconds since the epoch; default 1,700,000,000. */
  readonly buildEpoch?: number;
}

/** A value with an explicit MMDB type, e.g. `mmdbTyped('double', 52)` for a float that happens to be whole. */
export function mmdbTyped(type: MmdbTyped[typeof MMDB_TYPE], value: number | bigint): MmdbTyped {
  return { [MMDB_TYPE]: type, value };
}

/** Build a MaxMind DB file; a network with more specific ones inside is split around them (as MaxMind's are). */
export function writeMmdb(entries: readonly MmdbEntry[], opts: MmdbWriteOpts): Buffer {
  const records: Uint8Array[] = [];
  let size = 0;
  const parsed = entries.map((e) => {
    const bytes = encodeValue(e.data);
    records.push(bytes);
    size += bytes.length;
    return { ...parseNetwork(e.network), offset: size - bytes.length };
  });
  parsed.sort((a, b) => a.prefix - b.prefix);
  const nodes: TreeNode[] = [[{ kind: 'empty' }, { kind: 'empty' }]];
  for (const n of parsed) insertNetwork(nodes, n.bits, n.prefix, n.offset);
  const recordSize = opts.recordSize ?? 24;
  const metadata: MmdbValue = {
    binary_format_major_version: mmdbTyped('uint16', 2),
    binary_format_minor_version: mmdbTyped('uint16', 0),
    build_epoch: mmdbTyped('uint64', BigInt(opts.buildEpoch ?? 1_700_000_000)),
    database_type: opts.databaseType,
    description: opts.description ?? { en: 'test database' },
    ip_version: mmdbTyped('uint16', 6),
    languages: opts.languages ?? ['en'],
    node_count: mmdbTyped('uint32', nodes.length),
    record_size: mmdbTyped('uint16', recordSize),
  };
  return Buffer.concat([
    encodeTree(nodes, recordSize),
    Buffer.alloc(16), // the data section separator
    ...records,
    METADATA_MARKER,
    Buffer.from(encodeValue(metadata)),
  ]);
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // \xAB\xCD\xEF MaxMind.com

/** A network as its 128 address bits (IPv4 mapped into `::/96`) and its prefix length in the IPv6 tree. */
function parseNetwork(network: string): { bits: bigint; prefix: number } {
  const [ip = '', len = ''] = network.split('/');
  const v4 = parseIPv4(ip);
  const v6 = v4 === undefined ? parseIPv6(ip) : undefined;
  const max = v4 === undefined ? 128 : 32;
  const prefix = Number(len);
  if ((v4 === undefined && v6 === undefined) || !/^\d+$/.test(len) || prefix < 1 || prefix > max) {
    throw new Error(`not a CIDR network: ${network}`);
  }
  return { bits: v4 === undefined ? (v6 as bigint) : BigInt(v4), prefix: prefix + 128 - max };
}

/** A record of the search tree. */
type TreeRecord = { kind: 'empty' } | { kind: 'node'; index: number } | { kind: 'data'; offset: number };

/** The search tree: node 0 is the root; bit 0 goes left. */
type TreeNode = [TreeRecord, TreeRecord];

/** Insert a network; a data record met on the way (a less specific network) is pushed down to both sides. */
function insertNetwork(nodes: TreeNode[], bits: bigint, prefix: number, offset: number): void {
  let node = 0;
  for (let depth = 0; depth < prefix; depth++) {
    const side = Number((bits >> BigInt(127 - depth)) & 1n);
    const pair = nodes[node] as TreeNode;
    if (depth === prefix - 1) {
      pair[side] = { kind: 'data', offset };
      return;
    }
    const rec = pair[side] as TreeRecord;
    if (rec.kind === 'node') {
      node = rec.index;
      continue;
    }
    node = nodes.length;
    nodes.push([rec, rec]);
    pair[side] = { kind: 'node', index: node };
  }
}

/** The tree section: each node is two records of `recordSize` bits. */
function encodeTree(nodes: readonly TreeNode[], recordSize: 24 | 28): Buffer {
  const count = nodes.length;
  const value = (r: TreeRecord): number =>
    r.kind === 'node' ? r.index : r.kind === 'empty' ? count : count + 16 + r.offset;
  const nodeBytes = recordSize / 4;
  const out = Buffer.alloc(count * nodeBytes);
  nodes.forEach(([left, right], i) => {
    const l = value(left);
    const r = value(right);
    if (Math.max(l, r) >= 2 ** recordSize) throw new Error(`record value too large for ${recordSize} bits`);
    const at = i * nodeBytes;
    if (recordSize === 24) {
      out.writeUIntBE(l, at, 3);
      out.writeUIntBE(r, at + 3, 3);
    } else {
      out.writeUIntBE(l & 0xffffff, at, 3);
      out[at + 3] = ((l >>> 24) << 4) | (r >>> 24);
      out.writeUIntBE(r & 0xffffff, at + 4, 3);
    }
  });
  return out;
}

const TYPE = { utf8: 2, double: 3, uint16: 5, uint32: 6, map: 7, int32: 8, uint64: 9, array: 11, bool: 14, float: 15 };

/** Encode one value of the data section (no pointers). */
export function encodeValue(value: MmdbValue): Uint8Array {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPE.utf8, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(TYPE.bool, value ? 1 : 0);
  if (typeof value === 'bigint') return encodeTyped(mmdbTyped('uint64', value));
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return encodeTyped(mmdbTyped('double', value));
    return encodeTyped(mmdbTyped(value < 0 ? 'int32' : 'uint32', value));
  }
  if (isTyped(value)) return encodeTyped(value);
  if (Array.isArray(value)) {
    const items = (value as readonly MmdbValue[]).map(encodeValue);
    return Buffer.concat([control(TYPE.array, items.length), ...items]);
  }
  const pairs = Object.entries(value as { readonly [key: string]: MmdbValue });
  return Buffer.concat([
    control(TYPE.map, pairs.length),
    ...pairs.flatMap(([k, v]) => [encodeValue(k), encodeValue(v)]),
  ]);
}

function isTyped(value: object): value is MmdbTyped {
  return MMDB_TYPE in value;
}

function encodeTyped(typed: MmdbTyped): Uint8Array {
  const kind = typed[MMDB_TYPE];
  if (kind === 'double' || kind === 'float') {
    const size = kind === 'double' ? 8 : 4;
    const payload = Buffer.alloc(size);
    if (kind === 'double') payload.writeDoubleBE(Number(typed.value));
    else payload.writeFloatBE(Number(typed.value));
    return Buffer.concat([control(TYPE[kind], size), payload]);
  }
  if (kind === 'int32') {
    const payload = Buffer.alloc(4);
    payload.writeInt32BE(Number(typed.value));
    return Buffer.concat([control(TYPE.int32, 4), payload]);
  }
  const limit = { uint16: 16n, uint32: 32n, uint64: 64n }[kind];
  let n = BigInt(typed.value);
  if (n < 0n || n >= 1n << limit) throw new Error(`${typed.value} does not fit ${kind}`);
  const bytes: number[] = [];
  for (; n > 0n; n >>= 8n) bytes.unshift(Number(n & 0xffn));
  return Buffer.concat([control(TYPE[kind], bytes.length), Uint8Array.from(bytes)]);
}

/** The control byte(s): type in the top 3 bits (0 + an extra byte for types above 7), then the size. */
function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let extra: number[] = [];
  let sizeBits = size;
  if (size >= 65_821) {
    sizeBits = 31;
    const rest = size - 65_821;
    extra = [(rest >>> 16) & 0xff, (rest >>> 8) & 0xff, rest & 0xff];
  } else if (size >= 285) {
    sizeBits = 30;
    extra = [((size - 285) >>> 8) & 0xff, (size - 285) & 0xff];
  } else if (size >= 29) {
    sizeBits = 29;
    extra = [size - 29];
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}
