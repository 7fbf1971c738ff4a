/** The generic key-value state of the services (spec 03, `service_state`). */
import { fail, ok, type Result } from './result.js';

/** The services that keep state. */
export type ServiceName = 'seeder' | 'finder' | 'validator' | 'monitor' | 'synchronizer' | 'refresher' | 'api' | 'dvm';

/** Every service name that may own state rows. */
export const SERVICE_NAMES: readonly ServiceName[] = [
  'seeder',
  'finder',
  'validator',
  'monitor',
  'synchronizer',
  'refresher',
  'api',
  'dvm',
];

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
  if (!(SERVICE_NAMES as readonly unknown[]).includes(serviceName)) return fail('invalid', 'unknown service name');
  if (!(STATE_TYPES as readonly unknown[]).includes(stateType)) return fail('invalid', 'unknown state type');
  if (typeof stateKey !== 'string' || stateKey.includes('\0')) {
    return fail('invalid', 'state key must be a string without null characters');
  }
  const value = checkStateValue(row.stateValue);
  if (!value.ok) return value;
  return ok({
    serviceName: serviceName as ServiceName,
    stateType: stateType as StateType,
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
