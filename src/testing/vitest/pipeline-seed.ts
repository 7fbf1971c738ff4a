/**
 * The pipeline state the insight and dashboard tests share: five candidates, three of them failed by the
 * validator (two by dns, one by tls), as the validator stores them, and the synchronizer's cursors and
 * `sync_status` rows of some relays, as relay-state.ts writes them.
 */
import { insertCandidates } from '../../core/db/candidates.js';
import type { Sql } from '../../core/db/sql.js';
import { upsertServiceState } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import type { JsonObject, ServiceState } from '../../models/service-state.js';

/** What to seed. */
export interface PipelineSeed {
  /** The validator's check time of the failed candidates. */
  readonly now: number;
  /** When the candidates were inserted. */
  readonly candidatesAt: number;
  /** Failures recorded on each failed candidate. */
  readonly failures: number;
  /** The synchronizer's cursor timestamp of each relay URL. */
  readonly cursors: Readonly<Record<string, number>>;
  /** The synchronizer's `sync_status` value of each relay URL. */
  readonly statuses: Readonly<Record<string, JsonObject>>;
}

/** The URL of candidate `host` (a–e). */
export const candidateUrl = (host: string): RelayUrl => `wss://${host}.candidate.example` as RelayUrl;

/** Insert the candidates and write the validator's and synchronizer's state rows. */
export async function seedPipelineState(sql: Sql, seed: PipelineSeed): Promise<void> {
  const hosts = ['a', 'b', 'c', 'd', 'e'];
  await insertCandidates(
    sql,
    hosts.map((h) => ({ url: candidateUrl(h), network: 'clearnet' as const })),
    seed.candidatesAt,
  );
  const failed = (host: string, reason: string): ServiceState => ({
    serviceName: 'validator',
    stateType: 'checkpoint',
    stateKey: candidateUrl(host),
    stateValue: { network: 'clearnet', failures: seed.failures, timestamp: seed.now, reason },
  });
  const sync = (stateType: 'cursor' | 'sync_status', url: string, value: JsonObject): ServiceState => ({
    serviceName: 'synchronizer',
    stateType,
    stateKey: url,
    stateValue: value,
  });
  await upsertServiceState(sql, [
    failed('a', 'dns'),
    failed('b', 'dns'),
    failed('c', 'tls'),
    ...Object.entries(seed.cursors).map(([url, timestamp]) => sync('cursor', url, { timestamp })),
    ...Object.entries(seed.statuses).map(([url, status]) => sync('sync_status', url, status)),
  ]);
}
