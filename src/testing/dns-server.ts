/**
 * A minimal real DNS server over UDP (RFC 1035) for tests of name resolution: answers A and AAAA queries from a
 * fixed table, NXDOMAIN for unknown names, and records every query it was asked.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { parseIPv4, parseIPv6 } from '../models/ip.js';

/** The records of one name. */
export interface DnsRecords {
  readonly a?: readonly string[];
  readonly aaaa?: readonly string[];
}

/** A running DNS server. */
export interface TestDnsServer extends AsyncDisposable {
  /** `127.0.0.1:<port>`, as `createDnsResolver` and `dns.setServers` take it. */
  readonly address: string;
  /** Every query, in order, as `name TYPE` (`relay.example.com A`). */
  readonly queries: string[];
  close(): Promise<void>;
}

/** A parsed question. */
interface Question {
  readonly id: number;
  readonly flags: number;
  readonly name: string;
  readonly type: number;
  /** The question section as sent, echoed in the answer. */
  readonly section: Buffer;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const TYPE_NAMES: Readonly<Record<number, string>> = { [TYPE_A]: 'A', [TYPE_AAAA]: 'AAAA' };
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const TTL = 60;

/** RDATA of one name by record type. */
type Rdatas = ReadonlyMap<number, readonly Buffer[]>;

/** Start a DNS server on 127.0.0.1 (any free UDP port) serving `records` (names match case-insensitively). */
export async function startDnsServer(records: Readonly<Record<string, DnsRecords>>): Promise<TestDnsServer> {
  const table = new Map(Object.entries(records).map(([name, r]) => [normalize(name), encodeRecords(r)]));
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg: Buffer, peer: RemoteInfo) => {
    const q = parseQuery(msg);
    if (!q) return; // malformed or not a query: a real server drops it too
    queries.push(`${q.name} ${TYPE_NAMES[q.type] ?? String(q.type)}`);
    socket.send(answer(q, table.get(normalize(q.name))), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const close = (): Promise<void> => new Promise((resolve) => socket.close(() => resolve()));
  return {
    address: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
    queries,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Parse a standard query with exactly one question; undefined when malformed. */
function parseQuery(msg: Buffer): Question | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  const isQuery = (flags & 0x8000) === 0 && ((flags >> 11) & 0xf) === 0;
  if (!isQuery || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const len = msg[at];
    if (len === undefined || len > 63) return undefined; // out of bounds, or a compression pointer
    at += 1;
    if (len === 0) break;
    if (at + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', at, at + len));
    at += len;
  }
  if (at + 4 > msg.length) return undefined;
  const type = msg.readUInt16BE(at);
  const section = msg.subarray(12, at + 4);
  return { id: msg.readUInt16BE(0), flags, name: labels.join('.'), type, section };
}

/** The response to `q`: NXDOMAIN for an unknown name, else the records of the asked type (maybe none). */
function answer(q: Question, rdatas: Rdatas | undefined): Buffer {
  const rcode = rdatas === undefined ? RCODE_NXDOMAIN : 0;
  const qclass = q.section.readUInt16BE(q.section.length - 2);
  const found = (qclass === CLASS_IN ? rdatas?.get(q.type) : undefined) ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, AA and RA set, RD copied from the query, then the response code.
  header.writeUInt16BE(0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(found.length, 6);
  return Buffer.concat([header, q.section, ...found.map((rdata) => resourceRecord(q.type, rdata))]);
}

/** The wire form (RDATA) of a name's records by type; throws on an address that does not parse. */
function encodeRecords(records: DnsRecords): Rdatas {
  const a = (records.a ?? []).map((text) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(must(parseIPv4(text), text));
    return b;
  });
  const aaaa = (records.aaaa ?? []).map((text) => {
    const value = must(parseIPv6(text), text);
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(value >> 64n, 0);
    b.writeBigUInt64BE(value & 0xffff_ffff_ffff_ffffn, 8);
    return b;
  });
  return new Map([
    [TYPE_A, a],
    [TYPE_AAAA, aaaa],
  ]);
}

function must<T>(value: T | undefined, text: string): T {
  if (value === undefined) throw new Error(`not an IP address in the DNS test records: ${text}`);
  return value;
}

/** One answer record; its name is a pointer to the question's name at offset 12. */
function resourceRecord(type: number, rdata: Buffer): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(TTL, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([rr, rdata]);
}
