/** The validator's SQL: leased candidate selection, failures, promotion and cleanup (tagged templates). */
import type postgres from 'postgres';
import type { Sql } from '../../core/db/sql.js';
import { deleteServiceState, insertRelays, upsertServiceState } from '../../core/db/store.js';
import type { Network } from '../../models/network.js';
import type { RelayUrl } from '../../models/relay.js';

/** A candidate as stored: `(validator, checkpoint, url) = {network, failures, timestamp, first_seen?}`. */
export interface Candidate {
  readonly url: RelayUrl;
  readonly network: Network;
  readonly failures: number;
  readonly timestamp: number;
  /** When the URL was first seen (the timestamp of a candidate that never failed). */
  readonly firstSeen: number;
}

/** Which candidates to claim. */
export interface ClaimOpts {
  readonly networks: readonly Network[];
  /** Seconds a failed candidate waits before its next check. */
  readonly cooldown: number;
  readonly now: number;
  readonly limit: number;
  /** This process's lease owner id. */
  readonly owner: string;
  /** Seconds until the lease expires (a dead owner's candidates are then taken over). */
  readonly leaseSeconds: number;
}

/**
 * Claim up to `limit` due candidates under a lease, fewest failures first then oldest. `FOR UPDATE SKIP LOCKED`
 * keeps concurrent claims apart, and the lease insert only succeeds where no live lease exists, so two
 * replicas never hold the same candidate.
 */
export async function claimCandidates(sql: Sql, o: ClaimOpts): Promise<Candidate[]> {
  const rows = await sql<{ state_key: string; state_value: Record<string, unknown> }[]>`
    WITH due AS (
      SELECT c.state_key
      FROM service_state c
      WHERE c.service_name = 'validator' AND c.state_type = 'checkpoint'
        AND c.state_value ->> 'network' = ANY(${o.networks as string[]}::text[])
        AND (COALESCE((c.state_value ->> 'failures')::int, 0) = 0
             OR COALESCE((c.state_value ->> 'timestamp')::bigint, 0) <= ${o.now - o.cooldown}::bigint)
        AND NOT EXISTS (
          SELECT 1 FROM service_state l
          WHERE l.service_name = 'validator' AND l.state_type = 'lease' AND l.state_key = c.state_key
            AND (l.state_value ->> 'expires')::bigint > ${o.now}::bigint)
      ORDER BY COALESCE((c.state_value ->> 'failures')::int, 0), COALESCE((c.state_value ->> 'timestamp')::bigint, 0),
        c.state_key
      LIMIT ${o.limit}
      FOR UPDATE SKIP LOCKED
    ), leased AS (
      INSERT INTO service_state (service_name, state_type, state_key, state_value)
      SELECT 'validator', 'lease', due.state_key,
        jsonb_build_object('owner', ${o.owner}::text, 'expires', ${o.now + o.leaseSeconds}::bigint)
      FROM due
      ON CONFLICT (service_name, state_type, state_key) DO UPDATE SET state_value = EXCLUDED.state_value
        WHERE (service_state.state_value ->> 'expires')::bigint <= ${o.now}::bigint
      RETURNING state_key
    )
    SELECT c.state_key, c.state_value
    FROM service_state c JOIN leased USING (state_key)
    WHERE c.service_name = 'validator' AND c.state_type = 'checkpoint'`;
  return rows.map(({ state_key, state_value: v }) => {
    const timestamp = Number(v.timestamp ?? 0);
    return {
      url: state_key as RelayUrl,
      network: String(v.network) as Network,
      failures: Number(v.failures ?? 0),
      timestamp,
      firstSeen: Number(v.first_seen ?? timestamp),
    };
  });
}

/** Record failed checks: failures + 1, timestamp now, the first-seen time and the reason kept. */
export function recordFailures(
  sql: Sql,
  failed: readonly (Candidate & { reason: string })[],
  now: number,
): Promise<number> {
  return upsertServiceState(
    sql,
    failed.map((c) => ({
      serviceName: 'validator',
      stateType: 'checkpoint',
      stateKey: c.url,
      stateValue: {
        network: c.network,
        failures: c.failures + 1,
        timestamp: now,
        first_seen: c.firstSeen,
        reason: c.reason,
      },
    })),
  );
}

/** Promote valid candidates: relay rows (discovered at first sight) in, candidates and leases out, in one transaction. */
export async function promoteCandidates(sql: postgres.Sql, valid: readonly Candidate[]): Promise<number> {
  if (valid.length === 0) return 0;
  return sql.begin(async (tx) => {
    const inserted = await insertRelays(
      tx,
      valid.map((c) => ({ url: c.url, network: c.network, discoveredAt: c.firstSeen })),
    );
    await deleteServiceState(
      tx,
      valid.flatMap((c) => [
        { serviceName: 'validator' as const, stateType: 'checkpoint' as const, stateKey: c.url },
        { serviceName: 'validator' as const, stateType: 'lease' as const, stateKey: c.url },
      ]),
    );
    return inserted;
  });
}

/** Cleanup: candidates that are already relays, exhausted ones (when `maxFailures` is set), expired leases. */
export async function cleanupCandidates(sql: Sql, maxFailures: number | null, now: number): Promise<number> {
  const promoted = await sql`DELETE FROM service_state s USING relay r
    WHERE s.service_name = 'validator' AND s.state_type = 'checkpoint' AND s.state_key = r.url`;
  const exhausted =
    maxFailures === null
      ? { count: 0 }
      : await sql`DELETE FROM service_state WHERE service_name = 'validator' AND state_type = 'checkpoint'
          AND COALESCE((state_value ->> 'failures')::int, 0) >= ${maxFailures}`;
  await sql`DELETE FROM service_state WHERE service_name = 'validator' AND state_type = 'lease'
    AND (state_value ->> 'expires')::bigint <= ${now}::bigint`;
  return promoted.count + exhausted.count;
}
