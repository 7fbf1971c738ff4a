/**
 * The JSONL import pipeline: parse → shape check → per batch, what the database holds → every line proven to be
 * the valid, storable event its id names (docs/design/write-path.md: id recomputed for every line, Schnorr skipped
 * only for a pair verified before) → store with provenance. Nothing invalid is stored or credited (a forged copy of
 * a stored event is invalid, never a duplicate); every rejected line is counted with its line number.
 *
 * Writing overlaps the next batch: while up to `writeDepth` batches are being stored, the following lines are
 * parsed, looked up and verified. A line repeating an event of a batch still being written is a duplicate (its id
 * is proven, so it is not looked up); a failed write ends the import with its error, after every write in flight
 * has settled.
 */

import type { NostrEvent } from '../../models/event.js';
import { checkEventShape } from '../../models/event.js';
import { createVerifiedPairs, proveCopies, type VerifiedPairs } from '../../models/event-proof.js';
import { fail, ok, type Result } from '../../models/result.js';
import type { Line } from './lines.js';

/** What the importer needs from the outside world. */
export interface ImportDeps {
  /** The ids among `ids` that are already stored, each with the signature it was stored with (null if none kept). */
  existing(ids: readonly string[]): Promise<Map<string, string | null>>;
  /** Check the signature of each event over its id (every id is recomputed before): 1 = valid. */
  verify(events: readonly NostrEvent[]): Promise<Uint8Array>;
  /** Store new events and record the sighting of already stored ones; returns the new events stored. */
  store(newEvents: readonly NostrEvent[], knownIds: readonly string[]): Promise<number>;
  /** Called after every batch with the running totals. */
  progress?(summary: ImportSummary): void;
}

/** Options of one import. */
export interface ImportOpts {
  readonly batchSize: number;
  readonly maxEventSize?: number;
  /** How many rejected lines to keep, with their reasons, for the report. */
  readonly keepRejected?: number;
  /** Proven (id, signature) pairs remembered to skip lookups and Schnorr checks of repeats inside the file. */
  readonly seenCapacity?: number;
  /** Batches stored at once while the next one is prepared (default 2; 1 = one write at a time). */
  readonly writeDepth?: number;
}

/** A rejected line and why. */
export interface RejectedLine {
  readonly line: number;
  readonly reason: string;
}

/** Running and final counts of an import. */
export interface ImportSummary {
  read: number;
  inserted: number;
  duplicates: number;
  invalid: number;
  rejected: RejectedLine[];
  /** Set when reading stopped early (truncated gzip, read error); what came before it is stored. */
  readError?: string;
}

/** Import every line of `lines`; returns the summary. Read errors end the import but keep what was stored. */
export async function importLines(
  lines: AsyncIterable<Line>,
  deps: ImportDeps,
  opts: ImportOpts,
): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, inserted: 0, duplicates: 0, invalid: 0, rejected: [] };
  const keep = opts.keepRejected ?? 100;
  const verified = createVerifiedPairs(opts.seenCapacity ?? 1_000_000);
  let batch: Pending[] = [];

  const reject = (line: number, reason: string): void => {
    summary.invalid += 1;
    if (summary.rejected.length < keep) summary.rejected.push({ line, reason });
  };
  // writes in flight, oldest first; each one's failure is raised when it is awaited here, never left unhandled
  const writing: Promise<void>[] = [];
  const depth = Math.max(1, opts.writeDepth ?? 2);
  const settle = async (keep: number): Promise<void> => {
    while (writing.length > keep) await writing.shift();
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    const rows = await proveBatch(events, { ...deps, verified, maxEventSize: opts.maxEventSize }, summary, reject);
    await settle(depth - 1);
    const write = deps.store(rows.fresh, rows.known).then((inserted) => {
      summary.inserted += inserted;
      deps.progress?.(summary);
    });
    write.catch(() => {});
    writing.push(write);
  };

  try {
    for await (const line of lines) {
      if ('tooLong' in line) {
        summary.read += 1;
        reject(line.n, 'line too long');
        continue;
      }
      if (line.text.trim() === '') continue;
      summary.read += 1;
      const event = parseLine(line.text);
      if (!event.ok) {
        reject(line.n, event.reason);
        continue;
      }
      batch.push({ event: event.value, line: line.n });
      if (batch.length >= opts.batchSize) await flush();
    }
  } catch (err) {
    summary.readError = (err as Error).message;
  }
  try {
    await flush();
  } finally {
    await Promise.allSettled(writing);
  }
  await settle(0);
  return summary;
}

/** An event waiting in the current batch, with the line it came from. */
interface Pending {
  readonly event: NostrEvent;
  readonly line: number;
}

function parseLine(text: string): Result<NostrEvent> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  const shape = checkEventShape(value);
  if (!shape.ok) return fail(shape.detail ?? shape.reason);
  return ok(shape.value);
}

/**
 * Prove one batch: each line is new, a duplicate (stored, earlier in the file or in this batch) or rejected.
 * Returns the new events and the stored ones to credit with a sighting.
 */
async function proveBatch(
  batch: readonly Pending[],
  deps: ImportDeps & { verified: VerifiedPairs; maxEventSize: number | undefined },
  summary: ImportSummary,
  reject: (line: number, reason: string) => void,
): Promise<{ fresh: NostrEvent[]; known: string[] }> {
  const { verified } = deps;
  // ids proven earlier in the file are stored already: no lookup for them
  const earlier = new Set(batch.filter((p) => verified.hasId(p.event.id)).map((p) => p.event.id));
  const stored = await deps.existing([...new Set(batch.map((p) => p.event.id))].filter((id) => !earlier.has(id)));
  const verdicts = await proveCopies(
    batch.map((p) => p.event),
    {
      verified,
      storedSig: (id) => stored.get(id) ?? undefined,
      verify: deps.verify,
      ...(deps.maxEventSize === undefined ? {} : { maxEventSize: deps.maxEventSize }),
    },
  );
  const fresh = new Map<string, NostrEvent>();
  const known = new Set<string>();
  batch.forEach((p, i) => {
    const reason = verdicts[i];
    const id = p.event.id;
    if (reason !== undefined) reject(p.line, reason);
    else if (stored.has(id) && !known.has(id)) known.add(id);
    else if (earlier.has(id) || stored.has(id) || fresh.has(id)) summary.duplicates += 1;
    else fresh.set(id, p.event);
  });
  summary.duplicates += known.size;
  return { fresh: [...fresh.values()], known: [...known] };
}
