/** JSONL export of stored events, oldest first, in the NIP-01 wire form strfry and nak read. */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Sql } from 'postgres';
import { eventFromRow, type StoredEventRow } from '../../core/db/event-rows.js';

/** Which events to export. */
export interface ExportFilter {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly kinds?: readonly number[] | undefined;
}

/** Raised for a database that keeps no tags, content or signatures (lilbrotr): such events cannot be exported. */
export class ExportNotPossibleError extends Error {
  override name = 'ExportNotPossibleError';
}

/**
 * Write every matching event to `out`, one JSON object per line, ordered by (created_at, id). Pages by keyset
 * (no long transaction, so it also works through PgBouncer). Returns the number of events written.
 */
export async function exportEvents(
  sql: Sql,
  out: Writable,
  filter: ExportFilter,
  opts: { pageSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const pageSize = opts.pageSize ?? 5000;
  let after: { ts: number; id: Buffer } | undefined;
  let written = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const rows = await sql<StoredEventRow[]>`
      SELECT id, pubkey, created_at, kind, tags, content, sig FROM event
      WHERE TRUE
        ${filter.since !== undefined ? sql`AND created_at >= ${filter.since}` : sql``}
        ${filter.until !== undefined ? sql`AND created_at <= ${filter.until}` : sql``}
        ${filter.kinds !== undefined ? sql`AND kind = ANY(${filter.kinds as number[]}::int[])` : sql``}
        ${after ? sql`AND (created_at, id) > (${after.ts}, ${after.id})` : sql``}
      ORDER BY created_at, id
      LIMIT ${pageSize}`;
    for (const row of rows) {
      if (!out.write(`${toJsonLine(row)}\n`)) await once(out, 'drain');
    }
    written += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return written;
    after = { ts: Number(last.created_at), id: last.id };
  }
}

function toJsonLine(row: StoredEventRow): string {
  const event = eventFromRow(row);
  if (!event) {
    throw new ExportNotPossibleError(
      'this database keeps no tags, content or signatures (a lilbrotr deployment): its events cannot be exported',
    );
  }
  return JSON.stringify(event);
}
