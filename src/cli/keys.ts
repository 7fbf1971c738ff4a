/** The services' Nostr key: read from the environment variable the config names. */
import { decode } from 'nostr-tools/nip19';
import { createSigner, type EventSigner } from '../nips/signer.js';
import { UsageError } from './errors.js';

/** A secret key from hex (64 characters) or NIP-19 `nsec`; throws a UsageError naming the variable. */
export function parseSecretKey(text: string, variable: string): Uint8Array {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Uint8Array.from(Buffer.from(value, 'hex'));
  if (value.startsWith('nsec1')) {
    try {
      const decoded = decode(value);
      if (decoded.type === 'nsec') return decoded.data;
    } catch {
      // reported below, without echoing the secret
    }
  }
  throw new UsageError(`${variable} is not a valid Nostr private key (expected 64 hex characters or nsec1…)`);
}

/** The signer of a service whose config names `keysEnv`; missing or malformed keys are start-up errors. */
export function signerFromEnv(env: Readonly<Record<string, string | undefined>>, keysEnv: string): EventSigner {
  const text = env[keysEnv];
  if (text === undefined || text.trim() === '') {
    throw new UsageError(`${keysEnv} is not set: this service signs events and needs a Nostr private key`);
  }
  return createSigner(parseSecretKey(text, keysEnv));
}
