/**
 * Due relays claimed under leases: the monitor and the synchronizer take their relays
 * through one statement that selects due relays with `FOR UPDATE SKIP LOCKED` and writes lease rows
 * `(<service>, lease, <url>) = {owner, expires}` that only an expired lease can replace, so replicas never
 * work on the same relay and a dead replica's relays are taken over when its leases expire.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Network } from '../../models/network.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import type { ServiceName } from '../../models/service-state.js';
import type { Logger } from '../logger.js';
import type { Sql } from './sql.js';

/** Which relays to claim: due when the `timestamp` of their `(service, stateType, url)` row is below `dueBefore`. */
export interface ClaimRelaysOpts {
  readonly service: ServiceName;
  readonly stateType: 'checkpoint' | 'cursor';
  readonly dueBefore: number;
  readonly networks: readonly Network[];
  readonly now: number;
  readonly limit: number;
  readonly owner: string;
  readonly leaseSeconds: number;
  /** Only these relay URLs (e.g. the synchronizer's priority relays). */
  readonly only?: readonly string[];
  /** Never these relay URLs. */
  readonly except?: readonly string[];
}

/** Claim up to `limit` due relays, the longest-waiting first (no state row counts as timestamp 0). */
export async function claimDueRelays(sql: Sql, o: ClaimRelaysOpts): Promise<Relay[]> {
  const rows = await sql<{ url: string; network: string; discovered_at: string }[]>`
    WITH due AS (
      SELECT r.url
      FROM relay r
      LEFT JOIN service_state c
        ON c.service_name = ${o.service} AND c.state_type = ${o.stateType} AND c.state_key = r.url
      WHERE r.network = ANY(${o.networks as string[]}::text[])
        AND COALESCE((c.state_value ->> 'timestamp')::bigint, 0) < ${o.dueBefore}::bigint
        AND (${o.only === undefined} OR r.url = ANY(${(o.only ?? []) as string[]}::text[]))
        AND NOT (r.url = ANY(${(o.except ?? []) as string[]}::text[]))
        AND NOT EXISTS (
          SELECT 1 FROM service_state l
          WHERE l.service_name = ${o.service} AND l.state_type = 'lease' AND l.state_key = r.url
            AND (l.state_value ->> 'expires')::bigint > ${o.now}::bigint)
      ORDER BY COALESCE((c.state_value ->> 'timestamp')::bigint, 0), r.url
      LIMIT ${o.limit}
      FOR UPDATE OF r SKIP LOCKED
    ), leased AS (
      INSERT INTO service_state (service_name, state_type, state_key, state_value)
      SELECT ${o.service}, 'lease', due.url,
        jsonb_build_object('owner', ${o.owner}::text, 'expires', ${o.now + o.leaseSeconds}::bigint)
      FROM due
      ON CONFLICT (service_name, state_type, state_key) DO UPDATE SET state_value = EXCLUDED.state_value
        WHERE (service_state.state_value ->> 'expires')::bigint <= ${o.now}::bigint
      RETURNING state_key
    )
    SELECT r.url, r.network, r.discovered_at::text FROM relay r JOIN leased ON leased.state_key = r.url`;
  return rows.map((r) => ({
    url: r.url as RelayUrl,
    network: r.network as Network,
    discoveredAt: Number(r.discovered_at),
  }));
}

/** Release this owner's leases of a service. */
export async function releaseLeases(sql: Sql, service: ServiceName, owner: string): Promise<void> {
  await sql`DELETE FROM service_state
    WHERE service_name = ${service} AND state_type = 'lease' AND state_value ->> 'owner' = ${owner}`;
}

/** Delete a service's per-relay state rows of relays that no longer exist, and its expired leases. */
export async function cleanupRelayState(sql: Sql, service: ServiceName, now: number): Promise<number> {
  const gone = await sql`DELETE FROM service_state s
    WHERE s.service_name = ${service} AND s.state_type IN ('checkpoint', 'cursor', 'lease')
      AND s.state_key LIKE '%://%'
      AND NOT EXISTS (SELECT 1 FROM relay r WHERE r.url = s.state_key)`;
  await sql`DELETE FROM service_state WHERE service_name = ${service} AND state_type = 'lease'
    AND (state_value ->> 'expires')::bigint <= ${now}::bigint`;
  return gone.count;
}

/** A lease owner id: `host:pid:random`. */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * Release the leases of a service left by a dead process of this machine (same host name, and its pid gone or
 * now ours: a restarted container keeps its host name and pid 1), so a restart after a crash or kill -9 does
 * not wait for the leases to expire. Leases of other machines are left to expire. Returns the leases released.
 */
export async function releaseOrphanedLeases(sql: Sql, service: ServiceName, owner: string): Promise<number> {
  const host = owner.slice(0, owner.indexOf(':') + 1);
  const owners = await sql<{ owner: string }[]>`SELECT DISTINCT state_value ->> 'owner' AS owner FROM service_state
    WHERE service_name = ${service} AND state_type = 'lease' AND starts_with(state_value ->> 'owner', ${host})`;
  const dead = owners.map((o) => o.owner).filter((o) => o !== owner && !processAlive(Number(o.split(':')[1])));
  if (dead.length === 0) return 0;
  const gone = await sql`DELETE FROM service_state WHERE service_name = ${service} AND state_type = 'lease'
    AND state_value ->> 'owner' = ANY(${dead}::text[])`;
  return gone.count;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The start-of-run cleanup of a service that leases relays (monitor, synchronizer): the leases a dead replica
 * left released, then the state rows of relays no longer archived removed; each logged when it did something
 * (`removedMessage` names what the removed rows were).
 */
export async function cleanupLeasedRelays(
  sql: Sql,
  lease: { readonly service: ServiceName; readonly owner: string },
  now: number,
  logger: Logger,
  removedMessage: string,
): Promise<void> {
  const orphaned = await releaseOrphanedLeases(sql, lease.service, lease.owner);
  if (orphaned > 0) logger.info('orphaned_leases_released', { leases: orphaned });
  const removed = await cleanupRelayState(sql, lease.service, now);
  if (removed > 0) logger.info(removedMessage, { removed });
}
