/**
 * strfry's NIP-77 answer for a `since`/`until` filter: its `{}` negentropy tree (every stored event) seen through
 * negentropy's `SubRange`. The B-tree's lower-bound lookup ignores where the sub-range starts, and `SubRange`
 * subtracts that start without a floor, so a client bound below `since` maps to the end of the range and the
 * next one fails with `bad range` (strfry then sends `NEG-ERR "PROTOCOL-ERROR"`). Reproduced here on purpose.
 */
import type { NegentropyItem } from '../../nips/nip77/reconcile.js';
import { type Bound, compareBound, NegentropyResponder } from '../../nips/nip77/responder.js';

const toBound = (i: NegentropyItem): Bound => ({
  timestamp: i.timestamp,
  id: Uint8Array.from(Buffer.from(i.id, 'hex')),
});

/** The responder over the items of [since, until] out of `all` (the whole tree, any order). */
export class StrfryTreeResponder extends NegentropyResponder {
  private readonly subBegin: number;
  private readonly subSize: number;
  private belowBounds: Bound[] | undefined;

  constructor(
    all: readonly NegentropyItem[],
    private readonly since: number,
    until: number,
    frameSizeLimit: number,
  ) {
    const inRange = all.filter((i) => i.timestamp >= since && i.timestamp <= until);
    super(inRange, frameSizeLimit);
    this.below = all.filter((i) => i.timestamp < since);
    this.subBegin = this.below.length;
    this.subSize = inRange.length;
  }

  private readonly below: readonly NegentropyItem[];

  protected override checkRange(begin: number, end: number): void {
    if (begin > end || end > this.subSize) throw new Error('bad range');
  }

  /** `SubRange::findLowerBound` over `BTreeCore::findLowerBound`, size_t arithmetic included. */
  protected override lowerBound(begin: number, end: number, bound: Bound): number {
    this.checkRange(begin, end);
    let global: number;
    if (bound.timestamp >= this.since) {
      // every item below `since` is below the bound; the tree's minimum is then only in range when none is
      const first = this.items[0];
      if (this.subBegin === 0 && (!first || compareBound(bound, first) <= 0)) return first ? begin : end;
      global = this.subBegin + super.lowerBound(0, end, bound);
    } else {
      this.belowBounds ??= this.below.map(toBound).sort(compareBound);
      const first = this.belowBounds[0];
      if (!first || compareBound(bound, first) <= 0) return begin;
      let lo = 0;
      let hi = this.belowBounds.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareBound(this.belowBounds[mid] as Bound, bound) < 0) lo = mid + 1;
        else hi = mid;
      }
      global = Math.min(lo, this.subBegin + end);
    }
    const local = global - this.subBegin;
    return local < 0 ? this.subSize : Math.min(local, this.subSize); // size_t wraps below zero
  }
}
