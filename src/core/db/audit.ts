/**
 * Re-verifying stored events from the database itself (`bigbrotr db audit`, docs/design/write-path.md): each row's
 * id is recomputed from its stored columns and its stored signature checked against it. A row that fails means the
 * archive holds something it should not (stored differently than verified, or altered since). A deployment that
 * keeps no tags, content or signature (lilbrotr) cannot be audited this way, and the report says so.
 */
import { computeEventId, type NostrEvent } from '../../models/event.js';
import { BAD_SIGNATURE, ID_MISMATCH } from '../../models/event-proof.js';
import { eventFromRow, type StoredEventRow } from './event-rows.js';
import type { Sql } from './sql.js';

/** How to audit. */
export interface AuditOpts {
  /** Verify id and signature of each event: one byte each, 1 = valid (the worker pool). */
  readonly verify: (events: readonly NostrEvent[]) => Promise<Uint8Array>;
  /** Audit about this many events drawn at random (random id probes) instead of all. */
  readonly sample?: number;
  /** Rows read per query (default 2,000). */
  readonly pageSize?: number;
  readonly onProgress?: (checked: number, bad: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** A stored event that no longer verifies. */
export interface BadRow {
  readonly id: string;
  readonly reason: string;
}

/** The outcome of an audit. */
export type AuditReport =
  | { readonly verifiable: true; readonly checked: number; readonly bad: BadRow[] }
  | { readonly verifiable: false; readonly events: number; readonly why: string };

type Row = StoredEventRow;

/** Whether the event table keeps signatures at all (lilbrotr's columns are nullable and stay NULL). */
async function keepsSignatures(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ is_nullable: string }[]>`
    SELECT is_nullable FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'event' AND column_name = 'sig'`;
  return row?.is_nullable === 'NO';
}

/** The planner's estimate of the stored events (for progress only). */
async function estimatedEvents(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS n
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'event'::regclass`;
  return Math.round(row?.n ?? 0);
}

const COLUMNS = (sql: Sql) => sql`e.id, e.pubkey, e.created_at, e.kind, e.tags, e.content, e.sig`;

/** Audit the stored events: all of them in id order, or a random sample. */
export async function auditEvents(sql: Sql, opts: AuditOpts): Promise<AuditReport> {
  if (!(await keepsSignatures(sql))) {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::float8 AS n FROM event`;
    return {
      verifiable: false,
      events: row?.n ?? 0,
      why: 'this database keeps no tags, content or signature (lilbrotr): no stored id can be recomputed and no signature checked',
    };
  }
  const pageSize = opts.pageSize ?? 2000;
  const total = opts.sample ?? (await estimatedEvents(sql));
  const bad: BadRow[] = [];
  const audited = new Set<string>();
  let checked = 0;
  let last: Buffer = Buffer.alloc(0);
  for (;;) {
    opts.signal?.throwIfAborted();
    let rows: Row[];
    if (opts.sample !== undefined) {
      const want = Math.min(pageSize, opts.sample - checked);
      if (want <= 0) break;
      const probes = Array.from({ length: want }, () => randomProbe());
      rows = await sql<Row[]>`
        SELECT DISTINCT ON (e.id) ${COLUMNS(sql)} FROM unnest(${sql.array(probes, 1001)}::bytea[]) AS p(x)
        CROSS JOIN LATERAL (SELECT * FROM event e WHERE e.id >= p.x ORDER BY e.id LIMIT 1) e`;
      rows = rows.filter((r) => !audited.has(r.id.toString('hex')));
      if (rows.length === 0) break;
      for (const r of rows) audited.add(r.id.toString('hex'));
    } else {
      rows = await sql<Row[]>`SELECT ${COLUMNS(sql)} FROM event e WHERE e.id > ${last} ORDER BY e.id LIMIT ${pageSize}`;
      if (rows.length === 0) break;
      last = (rows[rows.length - 1] as Row).id;
    }
    bad.push(...(await auditRows(rows, opts.verify)));
    checked += rows.length;
    opts.onProgress?.(checked, bad.length, Math.max(total, checked));
  }
  return { verifiable: true, checked, bad };
}

function randomProbe(): Buffer {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 32; i += 4) b.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, i);
  return b;
}

/** The rows among `rows` that do not verify, and why. */
async function auditRows(rows: readonly Row[], verify: AuditOpts['verify']): Promise<BadRow[]> {
  const bad: BadRow[] = [];
  const events: NostrEvent[] = [];
  for (const r of rows) {
    const event = eventFromRow(r);
    if (event) events.push(event);
    else bad.push({ id: r.id.toString('hex'), reason: 'tags, content or signature missing' });
  }
  const flags = await verify(events);
  events.forEach((e, i) => {
    if (flags[i] !== 1) bad.push({ id: e.id, reason: computeEventId(e) === e.id ? BAD_SIGNATURE : ID_MISMATCH });
  });
  return bad;
}
