/** The generic key-value state of the services (`service_state`). */
import { isOneOf } from './one-of.js';
import { fail, ok, type Result } from './result.js';

/**
 * Every service, in start order: the services `bigbrotr <service>` runs and that may own state rows. The one
 * list of names (the CLI's registry, src/cli/services.ts, is typed by it).
 */
export const SERVICE_NAMES = [
  'seeder',
  'finder',
  'validator',
  'monitor',
  'synchronizer',
  'refresher',
  'api',
  'dvm',
] as const;

/** One of the service names. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Whether a string names a service. */
export function isServiceName(name: unknown): name is ServiceName {
  return isOneOf(SERVICE_NAMES, name);
}

/** Kinds of state rows (`cycle`: a service's last cycle, written by the runner). */
export type StateType = 'checkpoint' | 'cursor' | 'lease' | 'cycle' | 'sync_status';

/** Every state type. */
export const STATE_TYPES: readonly StateType[] = ['checkpoint', 'cursor', 'lease', 'cycle', 'sync_status'];

/** A JSON object value. */
export type JsonObject = { readonly [key: string]: unknown };

/** One `service_state` row. */
export interface ServiceState {
  readonly serviceName: ServiceName;
  readonly stateType: StateType;
  readonly stateKey: string;
  readonly stateValue: JsonObject;
  /** Seconds since the epoch of the last write, when known. */
  readonly updatedAt?: number;
}

/** Build a state row from untrusted parts (a database row, an imported file), checking every field. */
export function parseServiceState(row: {
  readonly serviceName: unknown;
  readonly stateType: unknown;
  readonly stateKey: unknown;
  readonly stateValue: unknown;
}): Result<ServiceState> {
  const { serviceName, stateType, stateKey } = row;
  if (!isServiceName(serviceName)) return fail('invalid', 'unknown service name');
  if (!isOneOf(STATE_TYPES, stateType)) return fail('invalid', 'unknown state type');
  if (typeof stateKey !== 'string' || stateKey.includes('\0')) {
    return fail('invalid', 'state key must be a string without null characters');
  }
  const value = checkStateValue(row.stateValue);
  if (!value.ok) return value;
  return ok({
    serviceName,
    stateType,
    stateKey,
    stateValue: value.value,
  });
}

/**
 * A state value must be a JSON object with no null character in any key or string (PostgreSQL jsonb rejects it)
 * and no non-finite number (JSON cannot hold it). Nulls are kept: a state value is replaced whole, not merged.
 */
export function checkStateValue(value: unknown): Result<JsonObject> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('invalid', 'not a JSON object');
  const bad = findNullChar(value, 0);
  return bad ? fail('invalid', bad) : ok(value as JsonObject);
}

function findNullChar(v: unknown, depth: number): string | undefined {
  if (depth > 100) return 'nested too deeply';
  if (typeof v === 'string') return v.includes('\0') ? 'null character in a string' : undefined;
  if (typeof v === 'number' && !Number.isFinite(v)) return 'non-finite number';
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = findNullChar(x, depth + 1);
      if (bad) return bad;
    }
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\0')) return 'null character in a key';
      const bad = findNullChar(x, depth + 1);
      if (bad) return bad;
    }
  }
  return undefined;
}

/**
 * The event id a cursor holds when it marks no position inside its second: sixty-four zeros, the reference's own
 * default ("from the start of that second").
 */
export const ZERO_EVENT_ID = '0'.repeat(64);

const EVENT_ID_HEX = /^[0-9a-f]{64}$/;

/**
 * A synchronizer cursor as the reference (release 6.6.9) stores it, `{"timestamp": N, "id": "<64 hex>"}`: the
 * `created_at` and id of the last event taken from the relay, in `(created_at, id)` order. Both implementations
 * resume with `since = timestamp` (inclusive), so that second is asked again; the reference uses `id` only to
 * order relays with equal timestamps, and its reader fails with `KeyError: 'id'` when the key is missing.
 */
export interface SyncCursor {
  readonly timestamp: number;
  readonly id: string;
}

/**
 * The state value of a synchronizer cursor in the reference's shape. Without an id (a cursor that means
 * "complete up to and including `timestamp`", which has no last event) the id is {@link ZERO_EVENT_ID}: it
 * claims no position inside the second, so a reader that used it to skip events could only ask again for
 * events it already has, never skip one. Throws a RangeError on a timestamp that is not a safe integer or an
 * id that is not 64 hex characters (a programming error, not data).
 */
export function syncCursorValue(timestamp: number, id: string = ZERO_EVENT_ID): { timestamp: number; id: string } {
  if (!Number.isSafeInteger(timestamp)) throw new RangeError(`cursor timestamp must be a safe integer: ${timestamp}`);
  const hex = id.toLowerCase();
  if (!EVENT_ID_HEX.test(hex)) throw new RangeError(`cursor id must be 64 hex characters: ${id}`);
  return { timestamp, id: hex };
}

/**
 * Read a synchronizer cursor written in either shape: the reference's `{"timestamp": N, "id": "<hex>"}` or an
 * older BigBrotr's `{"timestamp": N}` (read with {@link ZERO_EVENT_ID}). The timestamp may be a JSON integer or
 * a string of decimal digits (both implementations' SQL reads it with `::bigint`). A malformed value fails with
 * the reason, so the caller can say why it starts that relay over.
 */
export function readSyncCursor(value: unknown): Result<SyncCursor> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('invalid', 'not a JSON object');
  const { timestamp: raw, id } = value as { timestamp?: unknown; id?: unknown };
  const timestamp = typeof raw === 'string' && /^-?[0-9]{1,16}$/.test(raw) ? Number(raw) : raw;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    return fail('invalid', 'timestamp is missing or not an integer');
  }
  if (id === undefined) return ok({ timestamp, id: ZERO_EVENT_ID });
  if (typeof id !== 'string' || !EVENT_ID_HEX.test(id.toLowerCase())) {
    return fail('invalid', 'id is not 64 hex characters');
  }
  return ok({ timestamp, id: id.toLowerCase() });
}
