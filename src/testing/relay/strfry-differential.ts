/**
 * Helpers of the differential test between the real strfry and the test relay's strfry profile: the shared data
 * set, scripted exchanges that record what a relay answered, and the normalisation of what legitimately differs
 * (the URL, random AUTH challenges, AUTH event ids).
 */
import { nip77 } from 'nostr-tools';
import type { NostrEvent } from '../../models/event.js';
import { pubkeyOf } from '../../nips/signer.js';
import { generateEvents, signEvent, testSecretKey } from '../events.js';
import type { RawClient } from '../raw-client.js';

/** The reader's key: the DMs that involve it are the ones strfry serves it after AUTH. */
export const READER_SECRET = testSecretKey(77, 0);
export const READER = pubkeyOf(READER_SECRET);
const OTHER = pubkeyOf(testSecretKey(77, 1));

const SPREAD_KINDS = [1, 4, 1, 7, 1059, 1, 4, 6];
const DENSE_KINDS = [1, 4, 7, 1, 4];

/** p-tags: every other DM names the reader, the rest someone else. */
const dmTags = (kinds: readonly number[]) => (i: number) => {
  const kind = kinds[i % kinds.length];
  if (kind !== 4 && kind !== 1059) return [];
  return [['p', i % 3 === 0 ? READER : OTHER]];
};

/** The data set of the shipped-config comparison (~16,900 events: enough ids for a 500,000-byte negentropy frame). */
export function bigDataSet(base: number): { events: NostrEvent[]; denseMixed: number; denseKind1: number } {
  const denseMixed = base + 6_000;
  const denseKind1 = base + 7_000;
  const spread = generateEvents(15_000, {
    seed: 41,
    kinds: SPREAD_KINDS,
    createdAt: (i) => base + Math.floor(i / 3),
    tags: dmTags(SPREAD_KINDS),
    contentSize: 16,
  });
  const mixed = generateEvents(1_200, {
    seed: 42,
    kinds: DENSE_KINDS,
    createdAt: () => denseMixed,
    tags: dmTags(DENSE_KINDS),
    contentSize: 16,
  });
  const kind1 = generateEvents(700, { seed: 43, createdAt: () => denseKind1, contentSize: 16 });
  return { events: [...spread, ...mixed, ...kind1], denseMixed, denseKind1 };
}

/** The data set of the AUTH comparison: DMs from, to and not involving the reader, among other kinds. */
export function authDataSet(base: number): NostrEvent[] {
  const kinds = [1, 4, 4, 1059, 7];
  const others = generateEvents(300, {
    seed: 44,
    kinds,
    createdAt: (i) => base + Math.floor(i / 2),
    tags: dmTags(kinds),
  });
  const own = Array.from({ length: 10 }, (_, i) =>
    signEvent(
      { created_at: base + 3 * i, kind: 4, tags: [['p', OTHER]], content: `from the reader ${i}` },
      READER_SECRET,
    ),
  );
  return [...others, ...own];
}

/** A frame with what legitimately differs between two relays replaced by placeholders. */
export type Frame = unknown[];

/** Records what one relay answered, normalised. */
export class Transcript {
  readonly frames: Frame[] = [];
  private challenge: string | undefined;
  private readonly authIds = new Set<string>();
  constructor(readonly url: string) {}

  /** The latest AUTH challenge the relay sent (undefined before one came). */
  get lastChallenge(): string | undefined {
    return this.challenge;
  }

  /** Remember an AUTH event id so its OK frame is normalised. */
  authEventId(id: string): void {
    this.authIds.add(id);
  }

  /** Add frames; EVENT frames are kept as [EVENT, sub, id] unless `full`. */
  add(frames: readonly Frame[], full = false): Frame[] {
    const out = frames.map((f) => this.normalise(f, full));
    this.frames.push(...out);
    return out;
  }

  private normalise(f: Frame, full: boolean): Frame {
    if (f[0] === 'AUTH' && typeof f[1] === 'string') {
      this.challenge = f[1];
      return ['AUTH', '<challenge>'];
    }
    if (f[0] === 'EVENT' && !full) return ['EVENT', f[1], (f[2] as NostrEvent).id];
    if (f[0] === 'OK' && this.authIds.has(f[1] as string))
      return ['OK', '<auth>', ...f.slice(2).map((x) => this.text(x))];
    return f.map((x) => this.text(x));
  }

  private text(x: unknown): unknown {
    return typeof x === 'string' ? x.replaceAll(this.url, '<url>') : x;
  }
}

/** A signed NIP-42 AUTH event for `url` and `challenge`. */
export function authEvent(url: string, challenge: string, secret = READER_SECRET): NostrEvent {
  const now = Math.floor(Date.now() / 1000);
  return signEvent(
    {
      created_at: now,
      kind: 22242,
      tags: [
        ['relay', url],
        ['challenge', challenge],
      ],
      content: '',
    },
    secret,
  );
}

const isEnd = (subId: string) => (m: Frame) =>
  (m[0] === 'EOSE' || m[0] === 'CLOSED' || m[0] === 'COUNT') && m[1] === subId;

/** Send a REQ (or COUNT) and read up to its EOSE, CLOSED or COUNT. */
export async function req(c: RawClient, t: Transcript, msg: Frame, full = false): Promise<Frame[]> {
  c.send(msg);
  return t.add(await c.take(isEnd(msg[1] as string), 30_000), full);
}

/** What a negentropy reconciliation produced: every NEG frame (payloads included), and the id sets. */
export interface NegOutcome {
  readonly frames: Frame[];
  readonly have: string[];
  readonly need: string[];
  /** Largest NEG-MSG payload from the relay, in bytes. */
  readonly largestFrame: number;
}

/** Reconcile `mine` with the relay's set for `filter` (client frame limit 60,000, as the synchronizer's). */
export async function negentropy(
  c: RawClient,
  t: Transcript,
  filter: object,
  mine: readonly NostrEvent[],
): Promise<NegOutcome> {
  const storage = new nip77.NegentropyStorageVector();
  for (const e of mine) storage.insert(e.created_at, e.id);
  storage.seal();
  const neg = new nip77.Negentropy(storage, 60_000);
  const have: string[] = [];
  const need: string[] = [];
  const frames: Frame[] = [];
  let largestFrame = 0;
  c.send(['NEG-OPEN', 'neg', filter, neg.initiate()]);
  for (let round = 0; round < 100; round++) {
    const got = t.add(await c.take((m) => m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR' || m[0] === 'NOTICE', 30_000));
    frames.push(...got);
    const last = got[got.length - 1] as Frame;
    if (last[0] !== 'NEG-MSG') break;
    largestFrame = Math.max(largestFrame, (last[2] as string).length / 2);
    const next = neg.reconcile(
      last[2] as string,
      (id) => have.push(id),
      (id) => need.push(id),
    );
    if (next === null) break;
    c.send(['NEG-MSG', 'neg', next]);
  }
  c.send(['NEG-CLOSE', 'neg']);
  return { frames, have: have.sort(), need: need.sort(), largestFrame };
}
