import { nip77 } from 'nostr-tools';
import { describe, expect, it } from 'vitest';
import { type Item, ntStorage, setDiff, sorted } from '../../testing/vitest/nip77.js';
import { NegentropyResponder as ReferenceServer } from './responder.js';

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
