/**
 * Proving that a copy of an event is the valid event its id names (docs/design/write-path.md). A relay or a file
 * can serve a known id and signature with other content: the id is therefore recomputed from EVERY copy's fields
 * (one SHA-256, cheap), and only the BIP-340 check is skipped, when the copy's (id, signature) pair equals a pair
 * already verified (this run, or the one stored with the event: a stored row was verified before it was written).
 * A copy that passes is the same event byte for byte (SHA-256 binds the fields to the id) and validly signed.
 */
import { checkEventStorable, computeEventId, type NostrEvent } from './event.js';

/** Why a copy is refused when its fields do not hash to its id. */
export const ID_MISMATCH = 'id does not match the event';
/** Why a copy is refused when its signature does not verify. */
export const BAD_SIGNATURE = 'invalid signature';

/** A bounded memory of (id, signature) pairs proven valid and storable. */
export interface VerifiedPairs {
  /** Whether this exact pair was proven. */
  has(id: string, sig: string): boolean;
  /** Whether a pair with this id was proven (the event is stored, or in a batch being committed). */
  hasId(id: string): boolean;
  add(id: string, sig: string): void;
}

/** A memory of at most about `capacity` pairs, in two generations: when the young one is full it becomes the old. */
export function createVerifiedPairs(capacity: number): VerifiedPairs {
  const half = Math.max(1, Math.floor(capacity / 2));
  let young = new Map<string, string>();
  let old = new Map<string, string>();
  return {
    has: (id, sig) => (young.get(id) ?? old.get(id)) === sig,
    hasId: (id) => young.has(id) || old.has(id),
    add(id, sig) {
      if (young.get(id) === sig) return;
      if (young.size >= half) {
        old = young;
        young = new Map();
      }
      young.set(id, sig);
    },
  };
}

/** What proving copies needs. */
export interface ProofDeps {
  readonly verified: VerifiedPairs;
  /** The signature stored with an event id, when the event is stored with one. */
  readonly storedSig?: (id: string) => string | undefined;
  /**
   * Check the signature of each event over its id: one byte each, 1 = valid (the worker pool's
   * `verifySignatures`). Every id has been recomputed from the copy's fields before this is called, so it need
   * not be recomputed again (a full id + signature check is correct too, only slower).
   */
  readonly verify: (events: readonly NostrEvent[]) => Promise<Uint8Array>;
  readonly maxEventSize?: number;
}

/**
 * The verdict on each copy, in order: undefined when it is proven to be the valid, storable event its id names,
 * else the reason it is refused. Proven pairs are remembered in `deps.verified`. Copies sharing a pair are
 * verified once; a forged copy never affects the verdict on an honest one, whatever their order.
 */
export async function proveCopies(copies: readonly NostrEvent[], deps: ProofDeps): Promise<(string | undefined)[]> {
  const verdicts: (string | undefined)[] = new Array(copies.length).fill(undefined);
  const pending = new Map<string, { event: NostrEvent; copies: number[] }>();
  const storable = deps.maxEventSize === undefined ? {} : { maxEventSize: deps.maxEventSize };
  copies.forEach((e, i) => {
    if (computeEventId(e) !== e.id) {
      verdicts[i] = ID_MISMATCH;
      return;
    }
    if (deps.verified.has(e.id, e.sig)) return;
    if (deps.storedSig?.(e.id) === e.sig) {
      deps.verified.add(e.id, e.sig);
      return;
    }
    const key = e.id + e.sig;
    const waiting = pending.get(key);
    if (waiting) {
      waiting.copies.push(i);
      return;
    }
    const check = checkEventStorable(e, storable);
    if (!check.ok) verdicts[i] = check.detail ?? check.reason;
    else pending.set(key, { event: e, copies: [i] });
  });
  if (pending.size === 0) return verdicts;
  const queued = [...pending.values()];
  const flags = await deps.verify(queued.map((p) => p.event));
  queued.forEach((p, j) => {
    if (flags[j] === 1) deps.verified.add(p.event.id, p.event.sig);
    else for (const i of p.copies) verdicts[i] = BAD_SIGNATURE;
  });
  return verdicts;
}
