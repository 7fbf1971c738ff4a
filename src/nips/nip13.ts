/** NIP-13 proof of work: the difficulty of an id, and mining a template to a difficulty (nostr-tools). */
import { getPow, minePow } from 'nostr-tools/nip13';
import type { NostrEvent } from '../models/event.js';
import type { EventSigner, EventTemplate } from './signer.js';

/** The number of leading zero bits of an event id. */
export function powDifficulty(id: string): number {
  return getPow(id);
}

/** The difficulty a relay demands in a `pow:` refusal ("pow: difficulty 25 required"), if it says one. */
export function demandedDifficulty(message: string): number | undefined {
  const m = /^pow:\D*(\d{1,3})/.exec(message);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * Mine `template` to `difficulty` leading zero bits (adds the `nonce` tag) and sign it. CPU-bound and
 * synchronous: callers bound `difficulty` (each extra bit doubles the expected work).
 */
export function signWithPow(template: EventTemplate, difficulty: number, signer: EventSigner): NostrEvent {
  const unsigned = {
    kind: template.kind,
    created_at: template.created_at,
    tags: template.tags.map((t) => [...t]),
    content: template.content,
    pubkey: signer.pubkey,
  };
  const mined = minePow(unsigned, difficulty);
  return signer.sign({ kind: mined.kind, created_at: mined.created_at, tags: mined.tags, content: mined.content });
}
