/**
 * NIP-77 negentropy responder (the relay's side), protocol V1 (hoytech/negentropy, docs/negentropy-protocol-v1.md).
 * Hand-written because no maintained JavaScript package implements this role: nostr-tools has the initiator
 * only. It reproduces the protocol's published server messages byte for byte (vectors.test.ts).
 */
import { createHash } from 'node:crypto';
import type { NegentropyItem } from './reconcile.js';

function append(target: number[], bytes: ArrayLike<number>): void {
  for (let i = 0; i < bytes.length; i++) target.push(bytes[i] as number);
}

const PROTOCOL_VERSION = 0x61;
const INFINITY = Number.POSITIVE_INFINITY;
const MOD_256 = (1n << 256n) - 1n;

/** A negentropy bound: a timestamp and an id prefix. */
export interface Bound {
  timestamp: number;
  id: Uint8Array;
}
interface RefItem extends Bound {
  value: bigint;
}

function encodeVarint(n: number): number[] {
  if (n === 0) return [0];
  const digits: number[] = [];
  let rest = n;
  while (rest > 0) {
    digits.unshift(rest % 128);
    rest = Math.floor(rest / 128);
  }
  return digits.map((d, i) => (i < digits.length - 1 ? d | 0x80 : d));
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new Error('parse ends prematurely');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  varint(): number {
    let res = 0;
    for (;;) {
      const [b] = this.bytes(1);
      if (b === undefined) throw new Error('parse ends prematurely');
      res = res * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) return res;
    }
  }
}

/** Order of bounds and items: timestamp, then id bytes (a shorter prefix compares as if padded with zeros). */
export function compareBound(a: Bound, b: Bound): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  for (let i = 0; i < 32; i++) {
    const x = a.id[i] ?? 0;
    const y = b.id[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The responder (non-initiator) side of negentropy V1 over a fixed set of items. */
export class NegentropyResponder {
  protected readonly items: RefItem[];
  /** prefix[i]: the sum of the first i items' values mod 2^256, so any range's sum is one subtraction. */
  private readonly prefix: bigint[];

  /** `frameSizeLimit` 0 means unlimited (as in the reference implementation). */
  constructor(
    items: Iterable<NegentropyItem>,
    private readonly frameSizeLimit: number,
  ) {
    this.items = [...items]
      .map((i) => {
        const id = Uint8Array.from(Buffer.from(i.id, 'hex'));
        let value = 0n;
        for (let k = 31; k >= 0; k--) value = (value << 8n) | BigInt(id[k] ?? 0);
        return { timestamp: i.timestamp, id, value };
      })
      .sort(compareBound);
    this.prefix = new Array<bigint>(this.items.length + 1);
    let acc = 0n;
    this.prefix[0] = acc;
    for (let i = 0; i < this.items.length; i++) {
      acc = (acc + (this.items[i]?.value ?? 0n)) & MOD_256;
      this.prefix[i + 1] = acc;
    }
  }

  /** The fingerprint of items [begin, end). */
  fingerprint(begin: number, end: number): Uint8Array {
    let sum = ((this.prefix[end] ?? 0n) - (this.prefix[begin] ?? 0n) + MOD_256 + 1n) & MOD_256;
    const le = new Uint8Array(32);
    for (let k = 0; k < 32; k++) {
      le[k] = Number(sum & 0xffn);
      sum >>= 8n;
    }
    const hash = createHash('sha256')
      .update(le)
      .update(Uint8Array.from(encodeVarint(end - begin)))
      .digest();
    return new Uint8Array(hash.subarray(0, 16));
  }

  /** Check a range before it is fingerprinted or listed (a subclass may refuse some). */
  protected checkRange(_begin: number, _end: number): void {}

  protected lowerBound(begin: number, end: number, bound: Bound): number {
    let lo = begin;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const item = this.items[mid];
      if (item && compareBound(item, bound) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private exceeded(n: number): boolean {
    return this.frameSizeLimit !== 0 && n > this.frameSizeLimit - 200;
  }

  /** Answer one initiator message (hex); throws on a malformed message. */
  reconcile(queryHex: string): string {
    const q = new Reader(Uint8Array.from(Buffer.from(queryHex, 'hex')));
    let lastIn = 0;
    let lastOut = 0;
    const encodeBound = (b: Bound): number[] => {
      let ts: number[];
      if (b.timestamp === INFINITY) {
        lastOut = INFINITY;
        ts = [0];
      } else {
        ts = encodeVarint(b.timestamp - lastOut + 1);
        lastOut = b.timestamp;
      }
      return [...ts, ...encodeVarint(b.id.length), ...b.id];
    };
    const decodeBound = (): Bound => {
      const raw = q.varint();
      let ts = raw === 0 ? INFINITY : raw - 1;
      if (lastIn === INFINITY || ts === INFINITY) {
        ts = INFINITY;
      } else {
        ts += lastIn;
      }
      lastIn = ts;
      const len = q.varint();
      if (len > 32) throw new Error('bound key too long');
      return { timestamp: ts, id: q.bytes(len) };
    };
    const minimalBound = (prev: RefItem, curr: RefItem): Bound => {
      if (prev.timestamp !== curr.timestamp) return { timestamp: curr.timestamp, id: new Uint8Array(0) };
      let shared = 0;
      while (shared < 32 && prev.id[shared] === curr.id[shared]) shared++;
      return { timestamp: curr.timestamp, id: curr.id.subarray(0, shared + 1) };
    };
    const splitRange = (lower: number, upper: number, upperBound: Bound, o: number[]): void => {
      const n = upper - lower;
      if (n < 32) {
        o.push(...encodeBound(upperBound), 2, ...encodeVarint(n));
        for (let i = lower; i < upper; i++) append(o, this.items[i]?.id ?? []);
        return;
      }
      const per = Math.floor(n / 16);
      const extra = n % 16;
      let curr = lower;
      for (let b = 0; b < 16; b++) {
        const size = per + (b < extra ? 1 : 0);
        const fp = this.fingerprint(curr, curr + size);
        curr += size;
        let next = upperBound;
        if (curr !== upper) {
          const prev = this.items[curr - 1];
          const cur = this.items[curr];
          if (!prev || !cur) throw new Error('bad split');
          next = minimalBound(prev, cur);
        }
        o.push(...encodeBound(next), 1, ...fp);
      }
    };

    const out: number[] = [PROTOCOL_VERSION];
    const version = q.bytes(1)[0] ?? 0;
    if (version < 0x60 || version > 0x6f) throw new Error('invalid negentropy protocol version byte');
    if (version !== PROTOCOL_VERSION) return Buffer.from(out).toString('hex');

    const size = this.items.length;
    let prevBound: Bound = { timestamp: 0, id: new Uint8Array(0) };
    let prevIndex = 0;
    let skip = false;
    while (!q.done()) {
      let o: number[] = [];
      const doSkip = () => {
        if (skip) {
          skip = false;
          o.push(...encodeBound(prevBound), 0);
        }
      };
      const currBound = decodeBound();
      const mode = q.varint();
      const lower = prevIndex;
      let upper = this.lowerBound(prevIndex, size, currBound);
      if (mode === 0) {
        skip = true;
      } else if (mode === 1) {
        const theirs = q.bytes(16);
        this.checkRange(lower, upper);
        const ours = this.fingerprint(lower, upper);
        if (Buffer.compare(theirs, ours) !== 0) {
          doSkip();
          splitRange(lower, upper, currBound, o);
        } else {
          skip = true;
        }
      } else if (mode === 2) {
        q.bytes(32 * q.varint());
        this.checkRange(lower, upper);
        doSkip();
        const ids: number[] = [];
        let count = 0;
        let endBound: Bound = currBound;
        for (let i = lower; i < upper; i++) {
          const item = this.items[i];
          if (!item) break;
          if (this.exceeded(out.length + ids.length)) {
            endBound = item;
            upper = i;
            break;
          }
          append(ids, item.id);
          count++;
        }
        o.push(...encodeBound(endBound), 2, ...encodeVarint(count));
        append(o, ids);
        append(out, o);
        o = [];
      } else {
        throw new Error('unexpected mode');
      }
      if (this.exceeded(out.length + o.length)) {
        const fp = this.fingerprint(upper, size);
        out.push(...encodeBound({ timestamp: INFINITY, id: new Uint8Array(0) }), 1, ...fp);
        break;
      }
      append(out, o);
      prevIndex = upper;
      prevBound = currBound;
    }
    return Buffer.from(out).toString('hex');
  }
}
