/** Relay values: a canonical relay URL with its network and first-seen time. */
import type { Network } from './network.js';
import { parseRelayUrl, type RelayUrlOpts } from './relay-url.js';
import { fail, ok, type Result } from './result.js';

/** A relay URL in canonical form; only `normalizeRelayUrl` / `parseRelayUrl` produce one. */
export type RelayUrl = string & { readonly __brand: 'RelayUrl' };

/** A relay as stored in the `relay` table. */
export interface Relay {
  readonly url: RelayUrl;
  readonly network: Network;
  /** Seconds since the epoch, non-negative integer. */
  readonly discoveredAt: number;
}

/** Build a relay from a URL that must already be canonical, and its first-seen time. */
export function parseRelay(url: string, discoveredAt: number, opts: RelayUrlOpts = {}): Result<Relay> {
  const parsed = parseRelayUrl(url, opts);
  if (!parsed.ok) return parsed;
  if (parsed.value.url !== url) return fail('not in canonical form', `canonical form is ${parsed.value.url}`);
  if (!Number.isSafeInteger(discoveredAt) || discoveredAt < 0) {
    return fail('discovered_at must be a non-negative integer of seconds');
  }
  return ok({ url: parsed.value.url, network: parsed.value.network, discoveredAt });
}
