/**
 * Relay candidates: service_state rows `(validator, checkpoint, <url>)` holding
 * `{network, failures, timestamp}` (plus `first_seen` once a check has failed, so promotion keeps the
 * first-seen time). Written by the seeder and the finder, consumed by the validator.
 */
import type { Network } from '../../models/network.js';
import type { RelayUrl } from '../../models/relay.js';
import { type StoreOpts, sumBatches } from './batches.js';
import type { Sql } from './sql.js';

/** A URL to validate. */
export interface NewCandidate {
  readonly url: RelayUrl;
  readonly network: Network;
}

/**
 * Insert candidates first seen at `now`, skipping URLs that are already relays or already candidates
 * (existing failure counters are kept). Returns how many were new.
 */
export function insertCandidates(
  sql: Sql,
  candidates: readonly NewCandidate[],
  now: number,
  opts?: StoreOpts,
): Promise<number> {
  return sumBatches(candidates, opts, async (b) => {
    const rows = await sql<{ n: number }[]>`
      WITH ins AS (
        INSERT INTO service_state (service_name, state_type, state_key, state_value)
        SELECT DISTINCT ON (x.url) 'validator', 'checkpoint', x.url,
          jsonb_build_object('network', x.network, 'failures', 0, 'timestamp', ${now}::bigint)
        FROM unnest(${b.map((c) => c.url)}::text[], ${b.map((c) => c.network)}::text[]) AS x(url, network)
        WHERE NOT EXISTS (SELECT 1 FROM relay r WHERE r.url = x.url)
        ORDER BY x.url
        ON CONFLICT (service_name, state_type, state_key) DO NOTHING
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM ins`;
    return rows[0]?.n ?? 0;
  });
}

/** How many candidates wait for validation. */
export async function countCandidates(sql: Sql): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM service_state WHERE service_name = 'validator' AND state_type = 'checkpoint'`;
  return rows[0]?.n ?? 0;
}
