/**
 * A relay connection's NIP-77 sessions: NEG-OPEN creates a responder over the matching items and answers the
 * first message, NEG-MSG continues, NEG-CLOSE (or an error) ends. Shared by the test relay and the archive's
 * relay endpoint; each decides which items match and how many it accepts.
 */
import type { NegentropyItem } from './reconcile.js';
import { NegentropyResponder } from './responder.js';

/** The largest NEG-MSG a responder sends (bytes of the binary message); also what strfry's clients expect. */
export const NEG_FRAME_SIZE_LIMIT = 60_000;

/** The NIP-77 sessions of one connection. */
export interface NegSessions {
  readonly size: number;
  has(subId: string): boolean;
  /** Start (or restart) a session over `items` and answer the initiator's first message. */
  open(subId: string, items: Iterable<NegentropyItem>, message: string): void;
  message(subId: string, message: string): void;
  close(subId: string): void;
  clear(): void;
}

/** Sessions that answer through `send` (`["NEG-MSG", …]` or `["NEG-ERR", …]`). */
export function createNegSessions(send: (msg: readonly unknown[]) => void): NegSessions {
  const negs = new Map<string, NegentropyResponder>();
  const message = (subId: string, msg: string): void => {
    const neg = negs.get(subId);
    if (!neg) return void send(['NEG-ERR', subId, 'closed: unknown subscription']);
    try {
      send(['NEG-MSG', subId, neg.reconcile(msg)]);
    } catch (err) {
      negs.delete(subId);
      send(['NEG-ERR', subId, `error: ${(err as Error).message}`]);
    }
  };
  return {
    get size() {
      return negs.size;
    },
    has: (subId) => negs.has(subId),
    open(subId, items, msg) {
      negs.set(subId, new NegentropyResponder(items, NEG_FRAME_SIZE_LIMIT));
      message(subId, msg);
    },
    message,
    close: (subId) => void negs.delete(subId),
    clear: () => negs.clear(),
  };
}
