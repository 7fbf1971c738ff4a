/**
 * The JSONL import pipeline: parse → shape and storage checks → dedupe (in this file, then against the
 * database) → verify id and signature on the worker pool → store with provenance. Nothing invalid is stored;
 * every rejected line is counted with its line number.
 */

import type { NostrEvent } from '../../models/event.js';
import { checkEventShape, checkEventStorable } from '../../models/event.js';
import type { Line } from './lines.js';

/** What the importer needs from the outside world. */
export interface ImportDeps {
  /** The ids among `ids` that are already stored. */
  existing(ids: readonly string[]): Promise<Set<string>>;
  /** Verify id and signature of each event: 1 = valid. */
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
  /** Ids remembered to skip repeats inside the file; past this many, the database lookup catches repeats. */
  readonly seenCapacity?: number;
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
  const seenCapacity = opts.seenCapacity ?? 1_000_000;
  const seen = new Set<string>();
  let batch: Pending[] = [];

  const reject = (line: number, reason: string): void => {
    summary.invalid += 1;
    if (summary.rejected.length < keep) summary.rejected.push({ line, reason });
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    await storeBatch(events, deps, summary, reject);
    deps.progress?.(summary);
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
      const event = parseLine(line.text, opts.maxEventSize);
      if (!event.ok) {
        reject(line.n, event.reason);
        continue;
      }
      if (seen.has(event.value.id)) {
        summary.duplicates += 1;
        continue;
      }
      if (seen.size >= seenCapacity) seen.clear();
      seen.add(event.value.id);
      batch.push({ event: event.value, line: line.n });
      if (batch.length >= opts.batchSize) await flush();
    }
  } catch (err) {
    summary.readError = (err as Error).message;
  }
  await flush();
  return summary;
}

/** An event waiting in the current batch, with the line it came from. */
interface Pending {
  readonly event: NostrEvent;
  readonly line: number;
}

type Parsed = { ok: true; value: NostrEvent } | { ok: false; reason: string };

function parseLine(text: string, maxEventSize: number | undefined): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const shape = checkEventShape(value);
  if (!shape.ok) return { ok: false, reason: shape.detail ?? shape.reason };
  const storable = checkEventStorable(shape.value, maxEventSize === undefined ? {} : { maxEventSize });
  if (!storable.ok) return { ok: false, reason: storable.detail ?? storable.reason };
  return { ok: true, value: shape.value };
}

async function storeBatch(
  batch: readonly Pending[],
  deps: ImportDeps,
  summary: ImportSummary,
  reject: (line: number, reason: string) => void,
): Promise<void> {
  const known = await deps.existing(batch.map((p) => p.event.id));
  const fresh = batch.filter((p) => !known.has(p.event.id));
  const flags = await deps.verify(fresh.map((p) => p.event));
  const valid: NostrEvent[] = [];
  fresh.forEach((p, i) => {
    if (flags[i] === 1) valid.push(p.event);
    else reject(p.line, 'invalid id or signature');
  });
  summary.duplicates += known.size;
  summary.inserted += await deps.store(valid, [...known]);
}
