/** Fast, deterministic generation of valid signed events for tests and benchmarks. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { NostrEvent } from '../models/event.js';
import { pubkeyOf, signTemplate } from '../nips/signer.js';

/** What to generate. Everything is derived from `seed`, so the same options give the same events. */
export interface GenerateOpts {
  readonly seed?: number;
  /** How many distinct authors (default 10). */
  readonly pubkeys?: number;
  readonly kinds?: readonly number[];
  readonly createdAt?: (i: number) => number;
  readonly contentSize?: number;
  readonly tags?: (i: number) => string[][];
}

/** A secret key derived from a seed and an index (never use such keys outside tests). */
export function testSecretKey(seed: number, index: number): Uint8Array {
  return createHash('sha256').update(`bigbrotr-test-key:${seed}:${index}`).digest();
}

/** Sign an event template with a secret key. */
export function signEvent(
  template: { created_at: number; kind: number; tags: string[][]; content: string },
  secretKey: Uint8Array,
): NostrEvent {
  return signTemplate(template, secretKey);
}

/** Generate `count` valid signed events. */
export function generateEvents(count: number, opts: GenerateOpts = {}): NostrEvent[] {
  const seed = opts.seed ?? 1;
  const keys = Array.from({ length: Math.max(1, opts.pubkeys ?? 10) }, (_, i) => {
    const sk = testSecretKey(seed, i);
    return { sk, pubkey: pubkeyOf(sk) };
  });
  const kinds = opts.kinds ?? [1];
  const size = opts.contentSize ?? 64;
  const events: NostrEvent[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const key = keys[i % keys.length] as (typeof keys)[number];
    const body = `event ${seed}/${i} `;
    const template = {
      pubkey: key.pubkey,
      created_at: opts.createdAt ? opts.createdAt(i) : 1_700_000_000 + i,
      kind: kinds[i % kinds.length] ?? 1,
      tags: opts.tags ? opts.tags(i) : [],
      content: body.padEnd(size, 'x'),
    };
    events[i] = signTemplate(template, key.sk, key.pubkey);
  }
  return events;
}

/** Write events as JSONL (one event per line). */
export async function writeEventsJsonl(path: string, events: Iterable<NostrEvent>): Promise<void> {
  const out = createWriteStream(path);
  for (const e of events) {
    if (!out.write(`${JSON.stringify(e)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
