/**
 * What a relay withholds from this reader, asked before the walk: one REQ of `limit: 1` per probed kind (by
 * default the direct-message kinds 4 and 1059, which relays commonly restrict). strfry, in its shipped
 * configuration, answers such a REQ with `["AUTH", challenge]` and `CLOSED "ERROR: auth-required: …"` — the only
 * time it ever sends a challenge. The subscription answers the challenge when a key is configured and asks again;
 * a kind still refused is withheld. A relay that sent a challenge at all restricts what it serves, and may leave
 * restricted events out of a page after applying the page's limit, so its short pages prove nothing.
 */
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { ProbeReason } from '../../utils/net/reasons.js';
import type { PageFetcher } from './windows.js';

/** What the probe found. */
export interface Restrictions {
  /** Kinds refused to us, with the reason. */
  readonly withheld: ReadonlyMap<number, ProbeReason>;
  /** The relay restricts reads (it sent an AUTH challenge or refused a kind): short pages are suspect. */
  readonly restricts: boolean;
  readonly requests: number;
}

const WITHHOLDING: ReadonlySet<ProbeReason> = new Set(['auth-required', 'refused']);

/**
 * Probe `kinds` one REQ each. A refusal for another reason (a timeout, the connection closing) is not a
 * restriction: it ends the probe, and the walk meets the same failure with its own reaction.
 */
export async function probeRestrictions(
  conn: RelayConnection,
  fetch: PageFetcher,
  kinds: readonly number[],
  signal: AbortSignal,
): Promise<Restrictions> {
  const withheld = new Map<number, ProbeReason>();
  let requests = 0;
  for (const kind of kinds) {
    if (signal.aborted) break;
    requests += 1;
    const r = await fetch({ kinds: [kind], limit: 1 }, signal);
    if (r.ok) continue;
    if (!WITHHOLDING.has(r.reason)) break;
    withheld.set(kind, r.reason);
  }
  return { withheld, restricts: withheld.size > 0 || conn.challenge !== undefined, requests };
}
