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

/** The responder over the items of [since, until] out of `all` (the whole tree). */
export class StrfryTreeResponder extends NegentropyResponder {
  private readonly all: Bound[];
  private readonly subBegin: number;
  private readonly subSize: number;

  constructor(all: readonly NegentropyItem[], since: number, until: number, frameSizeLimit: number) {
    const inRange = all.filter((i) => i.timestamp >= since && i.timestamp <= until);
    super(inRange, frameSizeLimit);
    this.all = all.map(toBound).sort(compareBound);
    this.subBegin = this.all.filter((b) => b.timestamp < since).length;
    this.subSize = inRange.length;
  }

  protected override checkRange(begin: number, end: number): void {
    if (begin > end || end > this.subSize) throw new Error('bad range');
  }

  protected override lowerBound(begin: number, end: number, bound: Bound): number {
    this.checkRange(begin, end);
    let global: number;
    const first = this.all[0];
    if (!first) global = this.subBegin + end;
    else if (compareBound(bound, first) <= 0) global = this.subBegin + begin;
    else {
      let lo = 0;
      let hi = this.all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareBound(this.all[mid] as Bound, bound) < 0) lo = mid + 1;
        else hi = mid;
      }
      global = Math.min(lo, this.subBegin + end);
    }
    const local = global - this.subBegin;
    return local < 0 ? this.subSize : Math.min(local, this.subSize); // size_t wraps below zero
  }
}
