/**
 * NIP-77 negentropy as a client (initiator): reconcile our set of (created_at, id) with the relay's for one
 * filter and learn which ids only we have and which only the relay has. The protocol itself is nostr-tools'.
 */
import { nip77 } from 'nostr-tools';
import { fail, ok } from '../../models/result.js';
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

/** Build a sealed negentropy storage from items (also used by the test relay's responder). */
export function negentropyStorage(items: Iterable<NegentropyItem>): InstanceType<typeof nip77.NegentropyStorageVector> {
  const storage = new nip77.NegentropyStorageVector();
  for (const item of items) storage.insert(item.timestamp, item.id);
  storage.seal();
  return storage;
}

/** Reconcile `items` with the relay's events matching `filter`. */
export function reconcileWithRelay(
  conn: RelayConnection,
  filter: Filter,
  items: Iterable<NegentropyItem>,
  opts: ReconcileOpts = {},
): Promise<ProbeResult<Reconciliation>> {
  const neg = new nip77.Negentropy(negentropyStorage(items), opts.frameSizeLimit ?? 60_000);
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const subId = conn.nextSubId('neg');
  const have: string[] = [];
  const need: string[] = [];
  let rounds = 0;
  return new Promise((resolve) => {
    const done = (r: ProbeResult<Reconciliation>): void => {
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
          (id) => have.push(id),
          (id) => need.push(id),
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
