/**
 * The DVM's durable state, in service_state rows of `(dvm, checkpoint, …)` so a restart loses nothing:
 *
 * - `cursor` → `{timestamp, floor}`: every request created before `timestamp` was seen by a completed cycle;
 *   the next fetch starts at `max(timestamp - overlap, floor)` so late-arriving requests are still found.
 * - `request:<id>` → `{created_at}`: one row per answered request, kept while `created_at` is inside the
 *   overlap window (older ones can no longer be fetched), so the same request is never answered twice.
 *
 * The id rows are bounded: past `maxIds` the oldest are deleted and `floor` moves past them, so those
 * timestamps are never fetched again.
 *
 * The writers take `sql` undefined when the role may not write these rows (a database whose grants are the
 * reference's): the state is then kept in memory only, for the life of the process.
 */
import type postgres from 'postgres';
import { deleteServiceState, getServiceState, upsertServiceState } from '../../core/db/store.js';
import type { ServiceState } from '../../models/service-state.js';

/** The key of the cursor row. */
export const CURSOR_KEY = 'cursor';
/** The prefix of the answered-request rows. */
export const REQUEST_KEY_PREFIX = 'request:';

/** The state as loaded. */
export interface DvmState {
  /** Requests created before this were seen; undefined before the first completed cycle. */
  cursor: number | undefined;
  /** Never fetch before this (raised when id rows had to be dropped). */
  floor: number;
  /** Answered request ids → their created_at. */
  readonly answered: Map<string, number>;
}

/** Windows of the state. */
export interface StateWindow {
  /** Seconds the fetch reaches back before the cursor (relay delays, clock skew). */
  readonly overlap: number;
  /** Seconds a first start (no cursor yet) reaches back. */
  readonly initialLookback: number;
  /** Most answered-request rows kept. */
  readonly maxIds: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

/** Read the state rows. */
export async function loadDvmState(sql: postgres.Sql): Promise<DvmState> {
  const state: DvmState = { cursor: undefined, floor: 0, answered: new Map() };
  for (const row of await getServiceState(sql, 'dvm', 'checkpoint')) {
    if (row.stateKey === CURSOR_KEY) {
      state.cursor = num(row.stateValue.timestamp);
      state.floor = num(row.stateValue.floor) ?? 0;
    } else if (row.stateKey.startsWith(REQUEST_KEY_PREFIX)) {
      state.answered.set(row.stateKey.slice(REQUEST_KEY_PREFIX.length), num(row.stateValue.created_at) ?? 0);
    }
  }
  return state;
}

/** Where the next fetch starts. */
export function fetchSince(state: DvmState, now: number, window: StateWindow): number {
  const from = state.cursor === undefined ? now - window.initialLookback : state.cursor - window.overlap;
  return Math.max(0, from, state.floor);
}

/**
 * Run a state write in a READ WRITE transaction: the DVM's sessions start read-only (its role's default and
 * its pool's), and the `dvm` role may write only its own service_state rows (docs/deployment.md).
 */
function writeState(sql: postgres.Sql, fn: (tx: postgres.Sql) => Promise<unknown>): Promise<unknown> {
  return sql.begin('read write', (tx) => fn(tx as unknown as postgres.Sql));
}

/** Record one answered request (one round trip; none when `sql` is undefined: state kept in memory). */
export async function markAnswered(
  sql: postgres.Sql | undefined,
  state: DvmState,
  id: string,
  createdAt: number,
): Promise<void> {
  if (sql) await writeState(sql, (tx) => upsertServiceState(tx, [requestRow(id, createdAt)]));
  state.answered.set(id, createdAt);
}

/** Move the cursor after a completed cycle and drop the id rows that can no longer matter. */
export async function advanceCursor(
  sql: postgres.Sql | undefined,
  state: DvmState,
  timestamp: number,
  window: StateWindow,
): Promise<void> {
  state.cursor = Math.max(state.cursor ?? 0, timestamp);
  const horizon = state.cursor - window.overlap;
  const byAge = [...state.answered].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  const stale = byAge.filter(([, at]) => at < horizon);
  const fresh = byAge.filter(([, at]) => at >= horizon);
  const excess = fresh.slice(0, Math.max(0, fresh.length - window.maxIds));
  // why: a dropped id must never be fetched again, so the floor moves past its timestamp
  const last = excess.at(-1);
  if (last) state.floor = Math.max(state.floor, last[1] + 1);
  const drop = [...stale, ...excess].map(([id]) => id);
  if (drop.length > 0 && sql) {
    const keys = drop.map((id) => ({
      serviceName: 'dvm' as const,
      stateType: 'checkpoint' as const,
      stateKey: `${REQUEST_KEY_PREFIX}${id}`,
    }));
    await writeState(sql, (tx) => deleteServiceState(tx, keys));
  }
  for (const id of drop) state.answered.delete(id);
  await saveCursor(sql, state);
}

/**
 * Write the cursor row as it is. Called before anything is answered too: when the state cannot be written (a
 * role without the grant), the cycle fails before publishing, instead of answering the same requests forever.
 */
export async function saveCursor(sql: postgres.Sql | undefined, state: DvmState): Promise<void> {
  if (!sql) return;
  const row: ServiceState = {
    serviceName: 'dvm',
    stateType: 'checkpoint',
    stateKey: CURSOR_KEY,
    stateValue: { timestamp: state.cursor ?? null, floor: state.floor },
  };
  await writeState(sql, (tx) => upsertServiceState(tx, [row]));
}

function requestRow(id: string, createdAt: number): ServiceState {
  return {
    serviceName: 'dvm',
    stateType: 'checkpoint',
    stateKey: `${REQUEST_KEY_PREFIX}${id}`,
    stateValue: { created_at: createdAt },
  };
}
