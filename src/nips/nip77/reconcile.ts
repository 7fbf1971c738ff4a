/**
 * NIP-77 negentropy as a client (initiator): reconcile our set of (created_at, id) with the relay's for one
 * filter and learn which ids only we have and which only the relay has. The protocol itself is nostr-tools'.
 */
import { nip77 } from 'nostr-tools';
import { fail, ok } from '../../models/result.js';
import { withDeadline } from '../../utils/deadline.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import type { RelayConnection } from '../nip01/connection.js';
import type { Filter } from '../nip01/filter.js';
import { reasonOfRefusal } from '../nip01/messages.js';

/** One item of a negentropy set. */
export interface NegentropyItem {
  readonly timestamp: number;
  /** 64 lower-case hex characters. */
  readonly id: string;
}

/** What reconciliation found: ids only we have, ids only the relay has, and the round trips it took. */
export interface Reconciliation {
  readonly have: string[];
  readonly need: string[];
  readonly rounds: number;
}

/** Options: overall deadline (default 60 s), frame size limit (default 60,000 bytes), round cap (default 500). */
export interface ReconcileOpts {
  readonly timeoutMs?: number;
  readonly frameSizeLimit?: number;
  readonly maxRounds?: number;
  readonly signal?: AbortSignal;
}

/** A sealed set of (created_at, id) for negentropy (nostr-tools' storage). */
export type NegentropyStorage = InstanceType<typeof nip77.NegentropyStorageVector>;

/** Build a sealed negentropy storage from items (also used by the test relay's responder). */
export function negentropyStorage(items: Iterable<NegentropyItem>): NegentropyStorage {
  const storage = new nip77.NegentropyStorageVector();
  for (const item of items) storage.insert(item.timestamp, item.id);
  storage.seal();
  return storage;
}

/**
 * Build a sealed negentropy storage from items [from, to) given as created_at values and ids end to end (32 bytes
 * each), without a hex string per item. Each id gets its own 32-byte array: nostr-tools reads an id through
 * `new DataView(id.buffer)`, ignoring a view's offset, so ids cannot view the shared buffer in place.
 */
export function negentropyStorageOf(
  timestamps: readonly number[],
  ids: Uint8Array,
  from = 0,
  to = timestamps.length,
): NegentropyStorage {
  const storage = new nip77.NegentropyStorageVector();
  for (let i = from; i < to; i++)
    storage.items.push({ timestamp: timestamps[i] as number, id: new Uint8Array(ids.subarray(i * 32, (i + 1) * 32)) });
  storage.seal();
  return storage;
}

/**
 * nostr-tools hands ids over as strings built by 32 concatenations: 872 bytes of heap each until flattened,
 * 88 after (measured with 100,000 ids). Lists of thousands of ids per relay are kept while they are fetched.
 */
const flatHex = (id: string): string => Buffer.from(id, 'hex').toString('hex');

/** Reconcile `items` (or a storage built from them) with the relay's events matching `filter`. */
export function reconcileWithRelay(
  conn: RelayConnection,
  filter: Filter,
  items: Iterable<NegentropyItem> | NegentropyStorage,
  opts: ReconcileOpts = {},
): Promise<ProbeResult<Reconciliation>> {
  const storage = items instanceof nip77.NegentropyStorageVector ? items : negentropyStorage(items);
  const neg = new nip77.Negentropy(storage, opts.frameSizeLimit ?? 60_000);
  const deadline = withDeadline(opts.timeoutMs ?? 60_000, opts.signal);
  const signal = deadline.signal;
  const subId = conn.nextSubId('neg');
  const have: string[] = [];
  const need: string[] = [];
  let rounds = 0;
  return new Promise((resolve) => {
    const done = (r: ProbeResult<Reconciliation>): void => {
      deadline.clear();
      signal.removeEventListener('abort', onAbort);
      conn.unroute(subId);
      if (conn.open) conn.send(['NEG-CLOSE', subId]);
      resolve(r);
    };
    const onAbort = (): void => done(fail('timeout', `negentropy unfinished after ${rounds} rounds`));
    const step = (message: string): void => {
      rounds += 1;
      let next: string | null;
      try {
        next = neg.reconcile(
          message,
          (id) => have.push(flatHex(id)),
          (id) => need.push(flatHex(id)),
        );
      } catch (err) {
        done(fail('invalid', `bad NEG-MSG: ${(err as Error).message}`));
        return;
      }
      if (next === null) done(ok({ have, need, rounds }));
      else if (rounds >= (opts.maxRounds ?? 500)) done(fail('too-large', `more than ${rounds} negentropy rounds`));
      else conn.send(['NEG-MSG', subId, next]);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    conn.route(subId, {
      message(msg) {
        if (msg.type === 'NEG-MSG') step(msg.message);
        else if (msg.type === 'NEG-ERR' || msg.type === 'CLOSED') {
          done(fail(reasonOfRefusal(msg.message), `${msg.type}: ${msg.message.slice(0, 200)}`));
        } else conn.stats.unknownSubscription += 1;
      },
      closed: (reason, detail) => done(fail(reason, detail)),
    });
    if (signal.aborted) onAbort();
    else conn.send(['NEG-OPEN', subId, filter, neg.initiate()]);
  });
}
