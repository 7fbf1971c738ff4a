/** The monitor's SQL: due relays claimed under leases, checkpoints, cleanup (tagged templates). */
import type postgres from 'postgres';
import { upsertServiceState } from '../../core/db/store.js';
import type { Network } from '../../models/network.js';
import type { Relay, RelayUrl } from '../../models/relay.js';

type Sql = postgres.Sql | postgres.TransactionSql;

/** Which relays to claim. */
export interface ClaimRelaysOpts {
  readonly networks: readonly Network[];
  /** A relay is due when its last check is at least this many seconds old (discovery.interval). */
  readonly recheck: number;
  readonly now: number;
  readonly limit: number;
  readonly owner: string;
  readonly leaseSeconds: number;
}

/**
 * Claim up to `limit` due relays (never checked first, then oldest check) under a lease: `FOR UPDATE SKIP
 * LOCKED` on the relay rows and a lease row that only an expired lease can be replaced by, so several monitor
 * replicas never check the same relay at once.
 */
export async function claimDueRelays(sql: Sql, o: ClaimRelaysOpts): Promise<Relay[]> {
  const rows = await sql<{ url: string; network: string; discovered_at: string }[]>`
    WITH due AS (
      SELECT r.url
      FROM relay r
      LEFT JOIN service_state c
        ON c.service_name = 'monitor' AND c.state_type = 'checkpoint' AND c.state_key = r.url
      WHERE r.network = ANY(${o.networks as string[]}::text[])
        AND COALESCE((c.state_value ->> 'timestamp')::bigint, 0) <= ${o.now - o.recheck}::bigint
        AND NOT EXISTS (
          SELECT 1 FROM service_state l
          WHERE l.service_name = 'monitor' AND l.state_type = 'lease' AND l.state_key = r.url
            AND (l.state_value ->> 'expires')::bigint > ${o.now}::bigint)
      ORDER BY COALESCE((c.state_value ->> 'timestamp')::bigint, 0), r.url
      LIMIT ${o.limit}
      FOR UPDATE OF r SKIP LOCKED
    ), leased AS (
      INSERT INTO service_state (service_name, state_type, state_key, state_value)
      SELECT 'monitor', 'lease', due.url,
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

/** What the monitor remembers of a relay's last check. */
export interface MonitorCheckpoint {
  readonly url: RelayUrl;
  readonly timestamp: number;
  readonly verdict: string;
  readonly reason?: string;
  /** Capabilities observed vs advertised (NIP-42/45/77), when probed. */
  readonly capabilities?: object;
}

/** Record the checks' time and verdicts (the relays become due again after `discovery.interval`). */
export function setCheckpoints(sql: Sql, checkpoints: readonly MonitorCheckpoint[]): Promise<number> {
  return upsertServiceState(
    sql,
    checkpoints.map(({ url, ...value }) => ({
      serviceName: 'monitor',
      stateType: 'checkpoint',
      stateKey: url,
      stateValue: value,
    })),
  );
}

/** Release this owner's leases. */
export async function releaseMonitorLeases(sql: Sql, owner: string): Promise<void> {
  await sql`DELETE FROM service_state
    WHERE service_name = 'monitor' AND state_type = 'lease' AND state_value ->> 'owner' = ${owner}`;
}

/** Cleanup: checkpoints and leases of relays that no longer exist, expired leases. */
export async function cleanupMonitorState(sql: Sql, now: number): Promise<number> {
  const gone = await sql`DELETE FROM service_state s
    WHERE s.service_name = 'monitor' AND s.state_type IN ('checkpoint', 'lease')
      AND s.state_key LIKE '%://%'
      AND NOT EXISTS (SELECT 1 FROM relay r WHERE r.url = s.state_key)`;
  await sql`DELETE FROM service_state WHERE service_name = 'monitor' AND state_type = 'lease'
    AND (state_value ->> 'expires')::bigint <= ${now}::bigint`;
  return gone.count;
}
