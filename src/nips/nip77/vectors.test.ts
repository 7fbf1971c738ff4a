/**
 * Conformance of nostr-tools' NIP-77 negentropy implementation (`nip77.Negentropy`,
 * `nip77.NegentropyStorageVector`) with the negentropy protocol V1 published by hoytech.
 *
 * vectors.json holds test vectors copied verbatim from https://github.com/hoytech/negentropy
 * (Kotlin port test suite, kotlin/src/test/**; see its `source` block for the exact paths). nostr-tools only
 * implements the *initiator* (client) role, so the vectors are replayed as: nostr-tools client <-> the recorded
 * server messages. Our own responder (`responder.ts`, written from docs/negentropy-protocol-v1.md, used by the
 * test relay) is checked byte-for-byte against the same recorded server messages, then used for a seeded
 * differential test against nostr-tools on random sets.
 */
import { readFileSync } from 'node:fs';
import { nip77 } from 'nostr-tools';
import { describe, expect, it } from 'vitest';
import { NegentropyResponder as ReferenceServer } from './responder.js';

// ---------------------------------------------------------------------------------------------------------------
// Vector file

interface StorageVector {
  source: string;
  items: string[];
}
interface ExchangeRound {
  serverReply: string;
  clientReply: string | null;
  have?: string[];
  need?: string[];
  haveCount?: number;
  needCount?: number;
}
interface Exchange {
  name: string;
  source: string;
  client: string;
  server: string;
  frameSizeLimit: number;
  init: string;
  rounds: ExchangeRound[];
  afterMerge?: { serverReply: string; clientReply: string | null };
}
interface Vectors {
  source: { repository: string; files: string[] };
  storages: Record<string, StorageVector>;
  fingerprints: {
    name: string;
    items: string[];
    ranges: { begin: number; end: number; expected: string }[];
  }[];
  initiate: { name: string; storage: string; frameSizeLimit: number; expected: string }[];
  crossInitiators: {
    name: string;
    a: string;
    b: string;
    aReconcilesB: { msg: string | null; have: string[]; need: string[] };
    bReconcilesA: { msg: string | null; have: string[]; need: string[] };
  }[];
  unsupportedVersion: { storage: string; query: string; serverReply: string };
  exchanges: Exchange[];
}

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;

interface Item {
  timestamp: number;
  id: string;
}

function parseItems(lines: string[]): Item[] {
  return lines.map((line) => {
    const [ts, id] = line.split(',');
    if (ts === undefined || id === undefined) throw new Error(`bad item line: ${line}`);
    return { timestamp: Number(ts), id };
  });
}

function storageItems(name: string): Item[] {
  const s = vectors.storages[name];
  if (!s) throw new Error(`unknown storage ${name}`);
  return parseItems(s.items);
}

function ntStorage(items: Item[]): nip77.NegentropyStorageVector {
  const storage = new nip77.NegentropyStorageVector();
  for (const item of items) storage.insert(item.timestamp, item.id);
  storage.seal();
  return storage;
}

/** nostr-tools rejects frameSizeLimit < 4096, so the source's "0 = unlimited" maps to its default (60_000). */
function ntClient(items: Item[], frameSizeLimit: number): nip77.Negentropy {
  const storage = ntStorage(items);
  return frameSizeLimit === 0 ? new nip77.Negentropy(storage) : new nip77.Negentropy(storage, frameSizeLimit);
}

function clientReconcile(client: nip77.Negentropy, msg: string) {
  const have: string[] = [];
  const need: string[] = [];
  const reply = client.reconcile(
    msg,
    (id) => have.push(id),
    (id) => need.push(id),
  );
  return { reply, have, need };
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

function setDiff(a: Item[], b: Item[]): string[] {
  const bIds = new Set(b.map((i) => i.id));
  return sorted(a.filter((i) => !bIds.has(i.id)).map((i) => i.id));
}

// ---------------------------------------------------------------------------------------------------------------
// Published vectors

describe('NIP-77 negentropy: hoytech/negentropy published vectors', () => {
  it('names its source', () => {
    expect(vectors.source.repository).toBe('https://github.com/hoytech/negentropy');
    expect(vectors.source.files.length).toBeGreaterThan(0);
  });

  for (const v of vectors.fingerprints) {
    it(`fingerprint: ${v.name}`, () => {
      const items = parseItems(v.items);
      const storage = ntStorage(items);
      const ref = new ReferenceServer(items, 0);
      for (const r of v.ranges) {
        expect(Buffer.from(storage.fingerprint(r.begin, r.end)).toString('hex')).toBe(r.expected);
        expect(Buffer.from(ref.fingerprint(r.begin, r.end)).toString('hex')).toBe(r.expected);
      }
    });
  }

  for (const v of vectors.initiate) {
    it(`initiate: ${v.name}`, () => {
      const client = ntClient(storageItems(v.storage), v.frameSizeLimit);
      const init = client.initiate();
      expect(init).toBe(v.expected);
      // NegentropyBasicTest.testReconcile: an initiator fed its own message has nothing to do.
      expect(clientReconcile(client, init)).toEqual({ reply: null, have: [], need: [] });
    });
  }

  for (const v of vectors.crossInitiators) {
    it(`two initiators: ${v.name}`, () => {
      const a = ntClient(storageItems(v.a), 0);
      const b = ntClient(storageItems(v.b), 0);
      const initA = a.initiate();
      const initB = b.initiate();
      const ra = clientReconcile(a, initB);
      expect({ msg: ra.reply, have: ra.have, need: ra.need }).toEqual(v.aReconcilesB);
      const rb = clientReconcile(b, initA);
      expect({ msg: rb.reply, have: rb.have, need: rb.need }).toEqual(v.bReconcilesA);
    });
  }

  it('unsupported protocol version: server answers with its version byte; nostr-tools client refuses', () => {
    const v = vectors.unsupportedVersion;
    expect(new ReferenceServer(storageItems(v.storage), 0).reconcile(v.query)).toBe(v.serverReply);
    // nostr-tools has no server role: on a foreign version it throws instead of answering "61".
    const client = ntClient(storageItems(v.storage), 0);
    expect(() => client.reconcile(v.query)).toThrow(/unsupported negentropy protocol version/);
  });

  for (const v of vectors.exchanges) {
    describe(`exchange: ${v.name}`, () => {
      const clientItems = storageItems(v.client);
      const serverItems = storageItems(v.server);

      it('nostr-tools client reproduces every client message and have/need list', () => {
        const client = ntClient(clientItems, v.frameSizeLimit);
        expect(client.initiate()).toBe(v.init);
        const allHave: string[] = [];
        const allNeed: string[] = [];
        for (const round of v.rounds) {
          const r = clientReconcile(client, round.serverReply);
          expect(r.reply).toBe(round.clientReply);
          if (round.have) expect(r.have).toEqual(round.have);
          if (round.need) expect(r.need).toEqual(round.need);
          if (round.haveCount !== undefined) expect(r.have).toHaveLength(round.haveCount);
          if (round.needCount !== undefined) expect(r.need).toHaveLength(round.needCount);
          allHave.push(...r.have);
          allNeed.push(...r.need);
        }
        expect(sorted(allHave)).toEqual(setDiff(clientItems, serverItems));
        expect(sorted(allNeed)).toEqual(setDiff(serverItems, clientItems));
      });

      it('reference server reproduces every recorded server message', () => {
        const server = new ReferenceServer(serverItems, v.frameSizeLimit);
        let msg = v.init;
        for (const round of v.rounds) {
          expect(server.reconcile(msg)).toBe(round.serverReply);
          if (round.clientReply === null) break;
          msg = round.clientReply;
        }
      });

      const afterMerge = v.afterMerge;
      if (afterMerge) {
        it('second sync after applying have/need is a no-op', () => {
          const union = [...clientItems, ...serverItems.filter((s) => !clientItems.some((c) => c.id === s.id))];
          const client = ntClient(union, v.frameSizeLimit);
          const server = new ReferenceServer(union, v.frameSizeLimit);
          const reply = server.reconcile(client.initiate());
          expect(reply).toBe(afterMerge.serverReply);
          expect(clientReconcile(client, reply)).toEqual({ reply: afterMerge.clientReply, have: [], need: [] });
        });
      }
    });
  }

  it('an empty client opens with the V1 version byte and one empty IdList over the full range', () => {
    const init = ntClient([], 0).initiate();
    expect(init.startsWith('61')).toBe(true);
    // 61 = version, 00 = infinity timestamp, 00 = empty id prefix, 02 = IdList, 00 = zero ids
    expect(init).toBe('6100000200');
  });

  it('nostr-tools rejects frameSizeLimit 0 (the reference "unlimited") and anything below 4096', () => {
    expect(() => new nip77.Negentropy(ntStorage([]), 0)).toThrow(/frameSizeLimit too small/);
    expect(() => new nip77.Negentropy(ntStorage([]), 4095)).toThrow(/frameSizeLimit too small/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Differential: nostr-tools client <-> reference server on seeded random sets

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomItems(rand: () => number, count: number, spread: number, seen: Set<string>): Item[] {
  const out: Item[] = [];
  while (out.length < count) {
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rand() * 256);
    const id = Buffer.from(bytes).toString('hex');
    if (seen.has(id)) continue;
    seen.add(id);
    // ~30% of all items share one timestamp; the rest average ~8 items per timestamp.
    const timestamp = rand() < 0.3 ? 1_700_000_000 : 1_690_000_000 + Math.floor(rand() * Math.max(1, spread));
    out.push({ timestamp, id });
  }
  return out;
}

interface SyncResult {
  rounds: number;
  have: string[];
  need: string[];
  maxClientBytes: number;
  maxServerBytes: number;
}

function sync(clientItems: Item[], serverItems: Item[], clientLimit: number, serverLimit: number): SyncResult {
  const client = new nip77.Negentropy(ntStorage(clientItems), clientLimit);
  const server = new ReferenceServer(serverItems, serverLimit);
  const have: string[] = [];
  const need: string[] = [];
  let maxClientBytes = 0;
  let maxServerBytes = 0;
  let rounds = 0;
  let msg: string | null = client.initiate();
  while (msg !== null) {
    if (++rounds > 10_000) throw new Error('sync does not terminate');
    maxClientBytes = Math.max(maxClientBytes, msg.length / 2);
    const reply = server.reconcile(msg);
    maxServerBytes = Math.max(maxServerBytes, reply.length / 2);
    msg = client.reconcile(
      reply,
      (id) => have.push(id),
      (id) => need.push(id),
    );
  }
  return { rounds, have, need, maxClientBytes, maxServerBytes };
}

describe('NIP-77 negentropy: differential against the reference server (seeded)', () => {
  const cases = [
    { name: 'both empty', common: 0, clientOnly: 0, serverOnly: 0 },
    { name: '1 shared item', common: 1, clientOnly: 0, serverOnly: 0 },
    { name: '1 client-only item', common: 0, clientOnly: 1, serverOnly: 0 },
    { name: '1 server-only item', common: 0, clientOnly: 0, serverOnly: 1 },
    { name: '1000 items, mixed', common: 700, clientOnly: 150, serverOnly: 150 },
    { name: '1000 items, empty client', common: 0, clientOnly: 0, serverOnly: 1000 },
    { name: '1000 items, empty server', common: 0, clientOnly: 1000, serverOnly: 0 },
    { name: '20000 items, mixed', common: 14_000, clientOnly: 3_000, serverOnly: 3_000 },
  ];
  const limits = [
    { client: 60_000, server: 0 },
    { client: 60_000, server: 60_000 },
    { client: 4096, server: 4096 },
  ];

  cases.forEach((c, caseIndex) => {
    const total = c.common + c.clientOnly + c.serverOnly;
    const rand = mulberry32(0x77 + caseIndex);
    const seen = new Set<string>();
    const spread = Math.ceil(total / 8);
    const common = randomItems(rand, c.common, spread, seen);
    const clientItems = [...common, ...randomItems(rand, c.clientOnly, spread, seen)];
    const serverItems = [...common, ...randomItems(rand, c.serverOnly, spread, seen)];
    const expectedHave = setDiff(clientItems, serverItems);
    const expectedNeed = setDiff(serverItems, clientItems);

    for (const limit of limits) {
      it(`${c.name} (client limit ${limit.client}, server limit ${limit.server})`, () => {
        const r = sync(clientItems, serverItems, limit.client, limit.server);
        expect(r.have).toHaveLength(new Set(r.have).size);
        expect(r.need).toHaveLength(new Set(r.need).size);
        expect(sorted(r.have)).toEqual(expectedHave);
        expect(sorted(r.need)).toEqual(expectedNeed);

        // Frame limits are honoured by both sides.
        expect(r.maxClientBytes).toBeLessThanOrEqual(limit.client);
        if (limit.server !== 0) expect(r.maxServerBytes).toBeLessThanOrEqual(limit.server);

        // Rounds: one per 16-way fingerprint level, plus the rounds needed to ship every id through frames of
        // (limit - 200) bytes in both directions, plus slack.
        const n = Math.max(clientItems.length, serverItems.length, 1);
        const levels = Math.ceil(Math.log(n) / Math.log(16));
        const frame = Math.min(limit.client, limit.server === 0 ? Number.POSITIVE_INFINITY : limit.server) - 200;
        const idBytes = 32 * (clientItems.length + serverItems.length);
        expect(r.rounds).toBeLessThanOrEqual(levels + 3 + Math.ceil(idBytes / frame));
        if (limit.server === 0 && total <= 1000) expect(r.rounds).toBeLessThanOrEqual(levels + 2);
      });
    }
  });
});
