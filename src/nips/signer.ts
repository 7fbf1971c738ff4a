/** Signing events with a secret key (NIP-01): the signer services get from their configured key. */
import { schnorr } from '@noble/curves/secp256k1.js';
import { computeEventId, type EventId, type NostrEvent, type Pubkey } from '../models/event.js';
import { signSchnorr } from '../models/schnorr.js';

/** An unsigned event. */
export interface EventTemplate {
  readonly kind: number;
  readonly created_at: number;
  readonly tags: readonly (readonly string[])[];
  readonly content: string;
}

/** Signs event templates for one key. */
export interface EventSigner {
  readonly pubkey: Pubkey;
  sign(template: EventTemplate): NostrEvent;
}

/** The public key (hex) of a 32-byte secret key. */
export function pubkeyOf(secretKey: Uint8Array): Pubkey {
  return Buffer.from(schnorr.getPublicKey(secretKey)).toString('hex') as Pubkey;
}

/**
 * Sign a template with a secret key: its NIP-01 id and the Schnorr signature of that id. `pubkey` is the key's
 * (passed when the caller already has it, to skip the curve multiplication).
 */
export function signTemplate(
  template: EventTemplate,
  secretKey: Uint8Array,
  pubkey: Pubkey = pubkeyOf(secretKey),
): NostrEvent {
  const unsigned = { ...template, pubkey };
  const id = computeEventId(unsigned) as EventId;
  const sig = Buffer.from(signSchnorr(Buffer.from(id, 'hex'), secretKey)).toString('hex');
  return { ...unsigned, id, sig };
}

/** A signer for a 32-byte secret key. */
export function createSigner(secretKey: Uint8Array): EventSigner {
  const pubkey = pubkeyOf(secretKey);
  return { pubkey, sign: (template) => signTemplate(template, secretKey, pubkey) };
}
