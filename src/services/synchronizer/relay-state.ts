/**
 * A relay's synchronizer state, read once per cycle (one query) and written once at its end (one statement): the
 * cursor (complete up to, the reference's row; the writer moves it), the checkpoint (the NIP-77 probe, payment,
 * whether its short pages are suspect) and the outcome of its last sync (`sync_status`), which is what the
 * logs, the metrics and the API's relay detail and pipeline say about a relay the walk did not complete.
 */
import type { Sql } from '../../core/db/sql.js';
import { upsertServiceState } from '../../core/db/store.js';
import { type JsonObject, readSyncCursor } from '../../models/service-state.js';

/** What the cycle knows of a relay before it connects. */
export interface RelayState {
  /** The last second known complete, if any. */
  readonly cursor: number | undefined;
  /** Why a stored cursor could not be read (the relay then starts over from `processing.since`). */
  readonly cursorInvalid?: string;
  readonly checkpoint: JsonObject;
  readonly status: SyncStatus | undefined;
}

/** A second that a REQ walk could not enumerate (a single kind with more events than the relay's limit). */
export interface Gap {
  readonly second: number;
  /** The kinds of the part that could not be listed (a long list is kept as its first and last kind). */
  readonly kinds: readonly number[];
  readonly kinds_range?: true;
  readonly seen: number;
  readonly detail?: string;
}

/** The gap of `second` for a part of `kinds` (a long kind list stored as its range). */
export function gapOf(second: number, kinds: readonly number[], seen: number, detail?: string): Gap {
  const long = kinds.length > 16;
  return {
    second,
    kinds: long ? [kinds[0] as number, kinds[kinds.length - 1] as number] : kinds,
    ...(long ? { kinds_range: true as const } : {}),
    seen,
    ...(detail ? { detail } : {}),
  };
}

/** The outcome of a relay's last sync: `synchronizer / sync_status / <url>`. */
export interface SyncStatus {
  /** The walk reached the cycle's end. */
  readonly complete: boolean;
  /** Why it did not (a probe reason, `cycle-ended`, `error`, `unlistable-second`), or null. */
  readonly reason: string | null;
  readonly detail?: string;
  /** Where the next cycle resumes (the cursor). */
  readonly resume_at: number | null;
  /** Kinds the relay refuses to us, with how many events when known (null: unknown). */
  readonly withheld: Record<string, number | null>;
  /** Ids the relay listed in a reconciliation but did not serve, over every forward walk. */
  readonly unserved: number;
  /** Seconds that could not be enumerated (the latest 100). */
  readonly gaps: readonly Gap[];
  /** Events the trailing re-check found in the last cycle (created_at before the cursor). */
  readonly late: number;
  readonly updated_at: number;
}

const MAX_GAPS = 100;

/** Read the cursor, the checkpoint and the last outcome of `url`. */
export async function readRelayState(sql: Sql, url: string): Promise<RelayState> {
  const rows = await sql<{ state_type: string; state_value: JsonObject }[]>`
    SELECT state_type, state_value FROM service_state
    WHERE service_name = 'synchronizer' AND state_key = ${url} AND state_type IN ('cursor', 'checkpoint', 'sync_status')`;
  const value = (type: string) => rows.find((r) => r.state_type === type)?.state_value;
  // the reference's shape {timestamp, id} or an older BigBrotr's {timestamp}
  const stored = value('cursor');
  const cursor = stored === undefined ? undefined : readSyncCursor(stored);
  const status = value('sync_status');
  return {
    cursor: cursor?.ok ? cursor.value.timestamp : undefined,
    ...(cursor && !cursor.ok ? { cursorInvalid: cursor.detail ?? cursor.reason } : {}),
    checkpoint: value('checkpoint') ?? {},
    status: status ? (status as unknown as SyncStatus) : undefined,
  };
}

/** Merge this cycle's outcome with the previous one: withheld kinds and gaps are kept, the rest replaced. */
export function mergeStatus(previous: SyncStatus | undefined, next: SyncStatus): SyncStatus {
  if (!previous) return next;
  const withheld: Record<string, number | null> = { ...previous.withheld };
  for (const [kind, n] of Object.entries(next.withheld)) withheld[kind] = n ?? withheld[kind] ?? null;
  return {
    ...next,
    withheld,
    unserved: (previous.unserved ?? 0) + next.unserved,
    gaps: [...(previous.gaps ?? []), ...next.gaps].slice(-MAX_GAPS),
  };
}

/** Write the checkpoint of `url` (what was read at the start with `patch` over it) and its sync outcome. */
export async function writeRelayState(
  sql: Sql,
  url: string,
  checkpoint: JsonObject,
  status: SyncStatus,
): Promise<void> {
  await upsertServiceState(sql, [
    { serviceName: 'synchronizer', stateType: 'checkpoint', stateKey: url, stateValue: checkpoint },
    { serviceName: 'synchronizer', stateType: 'sync_status', stateKey: url, stateValue: { ...status } },
  ]);
}
