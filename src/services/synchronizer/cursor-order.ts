/**
 * The writer's cursor ordering (docs/design/write-path.md): batches are numbered when sealed and may commit in
 * any order, but the cursors marked while a batch was open are written only once that batch and every earlier
 * one have committed, so no cursor ever points past uncommitted events. Writes are serial, in batch order. A
 * failed write is reported once through `onFailure` (never an unhandled rejection) and stops every later write:
 * a cursor left behind only means events fetched again and absorbed as duplicates.
 */
import type { JsonObject } from '../../models/service-state.js';

/** Cursors by relay URL. */
export type Cursors = ReadonlyMap<string, JsonObject>;

/** The ordering of one writer's cursor writes. */
export interface CursorOrder {
  /** Batch `seq` (0, 1, 2, … in sealing order) committed, with the cursors marked while it was open. */
  committed(seq: number, cursors: Cursors): void;
  /** Resolves when every write started so far has finished (it never rejects: failures go to `onFailure`). */
  settled(): Promise<void>;
}

/** Order cursor writes after their batches; `write` persists a set of cursors. */
export function createCursorOrder(
  write: (cursors: Cursors) => Promise<void>,
  onFailure: (err: unknown) => void,
): CursorOrder {
  let frontier = 0;
  const waiting = new Map<number, Cursors>();
  let tail: Promise<void> = Promise.resolve();
  let failed = false;
  return {
    committed(seq, cursors) {
      waiting.set(seq, cursors);
      // the cursors of the committed prefix of batches, later ones overriding earlier ones per relay
      const due = new Map<string, JsonObject>();
      while (waiting.has(frontier)) {
        for (const [url, value] of waiting.get(frontier) as Cursors) due.set(url, value);
        waiting.delete(frontier);
        frontier += 1;
      }
      if (due.size === 0) return;
      tail = tail.then(async () => {
        if (failed) return;
        try {
          await write(due);
        } catch (err) {
          failed = true;
          onFailure(err);
        }
      });
    },
    settled: () => tail,
  };
}
