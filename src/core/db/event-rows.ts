/** Stored event rows read back as NIP-01 events (export, audit). */
import type { EventId, NostrEvent, Pubkey } from '../../models/event.js';

/** An event row as postgres.js returns it: bytea as Buffer, JSONB tags parsed; lilbrotr keeps tags, content, sig NULL. */
export interface StoredEventRow {
  readonly id: Buffer;
  readonly pubkey: Buffer;
  readonly created_at: string | number;
  readonly kind: number;
  readonly tags: string[][] | null;
  readonly content: string | null;
  readonly sig: Buffer | null;
}

/** The event of a stored row, in the NIP-01 field order; undefined when the row keeps no tags, content or sig. */
export function eventFromRow(row: StoredEventRow): NostrEvent | undefined {
  if (row.sig === null || row.tags === null || row.content === null) return undefined;
  return {
    id: row.id.toString('hex') as EventId,
    pubkey: row.pubkey.toString('hex') as Pubkey,
    created_at: Number(row.created_at),
    kind: row.kind,
    tags: row.tags,
    content: row.content,
    sig: row.sig.toString('hex'),
  };
}
