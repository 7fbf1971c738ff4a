/**
 * A relay's synchronizer state, read once per cycle and written once at its end: the cursor (complete up to, the
 * reference's row) and the checkpoint (the NIP-77 probe, payment, the last sync's outcome). The outcome is what
 * the logs, the metrics and the API's relay detail say about a relay the walk did not complete.
 */
import { getServiceState, upsertServiceState } from '../../core/db/store.js';
import type { JsonObject } from '../../models/service-state.js';

type Sql = import('postgres').Sql;

/** What the cycle knows of a relay before it connects. */
export interface RelayState {
  /** The last second known complete, if any. */
  readonly cursor: number | undefined;
  readonly checkpoint: JsonObject;
}

/** A second that a REQ walk could not enumerate (a single kind with more events than the relay's limit). */
export interface Gap {
  readonly second: number;
  readonly kinds: readonly number[];
  readonly seen: number;
}

/** The outcome of a relay's last sync, kept in its checkpoint under `sync`. */
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

/** Read the cursor and the checkpoint of `url`. */
export async function readRelayState(sql: Sql, url: string): Promise<RelayState> {
  const [cursor] = await getServiceState(sql, 'synchronizer', 'cursor', url);
  const [checkpoint] = await getServiceState(sql, 'synchronizer', 'checkpoint', url);
  const timestamp = Number(cursor?.stateValue.timestamp);
  return {
    cursor: Number.isFinite(timestamp) ? timestamp : undefined,
    checkpoint: checkpoint?.stateValue ?? {},
  };
}

/** The previous sync outcome in a checkpoint, if any. */
export function previousStatus(checkpoint: JsonObject): SyncStatus | undefined {
  const sync = checkpoint.sync;
  return sync && typeof sync === 'object' ? (sync as SyncStatus) : undefined;
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

/** Write the checkpoint of `url`: what was read at the start with `patch` over it. */
export async function writeCheckpoint(sql: Sql, url: string, base: JsonObject, patch: JsonObject): Promise<void> {
  await upsertServiceState(sql, [
    { serviceName: 'synchronizer', stateType: 'checkpoint', stateKey: url, stateValue: { ...base, ...patch } },
  ]);
}
