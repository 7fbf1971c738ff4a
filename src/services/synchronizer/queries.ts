/** The synchronizer's SQL beyond the shared relay leases (tagged templates). */
import type postgres from 'postgres';

type Sql = postgres.Sql | postgres.TransactionSql;

/** The relay's NIP-11 `max_limit` from the monitor's latest stored document, or Infinity when unknown. */
export async function advertisedMaxLimit(sql: Sql, url: string): Promise<number> {
  const rows = await sql<{ max_limit: string | null }[]>`
    SELECT m.data -> 'data' -> 'limitation' ->> 'max_limit' AS max_limit
    FROM relay_metadata rm JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
    WHERE rm.relay_url = ${url} AND rm.metadata_type = 'nip11_info'
    ORDER BY rm.generated_at DESC LIMIT 1`;
  const value = Number(rows[0]?.max_limit ?? Number.NaN);
  return Number.isInteger(value) && value > 0 ? value : Number.POSITIVE_INFINITY;
}

/** Whether the monitor saw the relay answer a NIP-77 NEG-OPEN (its capability probe), or NIP-11 lists 77. */
export async function supportsNegentropy(sql: Sql, url: string): Promise<boolean> {
  const rows = await sql<{ observed: boolean | null; listed: boolean | null }[]>`
    SELECT
      (SELECT (state_value -> 'capabilities' -> 'nip77' ->> 'observed')::boolean FROM service_state
        WHERE service_name = 'monitor' AND state_type = 'checkpoint' AND state_key = ${url}) AS observed,
      (SELECT m.data -> 'data' -> 'supported_nips' @> '77'::jsonb
        FROM relay_metadata rm JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
        WHERE rm.relay_url = ${url} AND rm.metadata_type = 'nip11_info'
        ORDER BY rm.generated_at DESC LIMIT 1) AS listed`;
  const row = rows[0];
  // an observed answer wins over what NIP-11 advertises
  return row?.observed ?? row?.listed ?? false;
}
