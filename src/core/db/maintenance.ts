/** Cleanup and statistics refresh through their stored functions. */
import { isOneOf } from '../../models/one-of.js';
import type { Sql } from './sql.js';

/** The thirteen statistics views, in the order all_statistics_refresh() refreshes them. */
export const STATISTICS_VIEWS = [
  'relay_metadata_latest',
  'event_stats',
  'kind_counts',
  'kind_counts_by_relay',
  'pubkey_counts',
  'pubkey_counts_by_relay',
  'network_stats',
  'event_daily_counts',
  'events_replaceable_latest',
  'events_addressable_latest',
  'relay_stats',
  'relay_software_counts',
  'supported_nip_counts',
] as const;

/** One of the statistics views. */
export type StatisticsView = (typeof STATISTICS_VIEWS)[number];

/** Whether `name` is one of the statistics views. */
export function isStatisticsView(name: string): name is StatisticsView {
  return isOneOf(STATISTICS_VIEWS, name);
}

/** orphan_event_delete: events with no provenance row, in batches; returns the total deleted. */
export async function deleteOrphanEvents(sql: Sql, batchSize = 10_000): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT orphan_event_delete(${batchSize}) AS n`;
  return row?.n ?? 0;
}

/** orphan_metadata_delete: documents no relay_metadata row references; returns the total deleted. */
export async function deleteOrphanMetadata(sql: Sql, batchSize = 10_000): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT orphan_metadata_delete(${batchSize}) AS n`;
  return row?.n ?? 0;
}

/** Refresh one statistics view concurrently (`<view>_refresh()`); the name is checked against the list. */
export async function refreshView(sql: Sql, view: StatisticsView): Promise<void> {
  if (!isStatisticsView(view)) throw new Error(`unknown statistics view: ${String(view)}`);
  await sql`SELECT ${sql(`${view}_refresh`)}()`;
}

/** all_statistics_refresh(): every view, in dependency order. */
export async function refreshAllStatistics(sql: Sql): Promise<void> {
  await sql`SELECT all_statistics_refresh()`;
}
