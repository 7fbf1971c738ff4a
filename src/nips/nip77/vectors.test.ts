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
import { type Item, ntStorage, setDiff, sorted } from '../../testing/vitest/nip77.js';
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
