/**
 * What the synchronizer's relay tests share: a database emptied before each test, one verifier pool for the
 * file, the relay's stored sightings and its sync outcome, and one cycle against a relay on the local network.
 */
import { beforeEach, expect } from 'vitest';
import { auditEvents } from '../../core/db/audit.js';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import type { JsonObject } from '../../models/service-state.js';
import type { EventSigner } from '../../nips/signer.js';
import { type SynchronizerConfig, synchronizerConfigSchema } from '../../services/synchronizer/config.js';
import { createSynchronizer } from '../../services/synchronizer/synchronizer.js';
import type { VerifierPool } from '../../utils/verifier/pool.js';
import { generateEvents } from '../events.js';
import { type RecordingDeps, recordingDeps } from '../service-deps.js';
import { type TestDb, useTestDatabase } from './db.js';
import { useVerifierPool } from './verifier-pool.js';

/** The harness of one test file. */
export interface SyncHarness {
  readonly db: TestDb;
  /** The file's verifier pool (for a cycle over several relays). */
  pool(): VerifierPool;
  /** The ids of the events recorded as served by `url`. */
  stored(url: string): Promise<Set<string>>;
  /** Audit every stored event (id and signature of each row): none may fail. */
  expectAuditClean(): Promise<void>;
  /** The relay's `synchronizer / <type> / <url>` row value. */
  state(url: string, type: 'sync_status' | 'checkpoint' | 'cursor'): Promise<JsonObject | undefined>;
  /** Add `url` as a local relay and run one synchronizer cycle (the clock is real unless `now` is given). */
  cycle(
    url: string,
    config: SynchronizerConfig,
    opts?: { signer?: EventSigner; now?: () => number },
  ): Promise<RecordingDeps>;
}

/** Set up the harness for the calling test file. */
export function useSyncHarness(): SyncHarness {
  const db = useTestDatabase('bigbrotr');
  const pool = useVerifierPool();
  beforeEach(async () => {
    await db.sql`DELETE FROM service_state`;
    await db.sql`DELETE FROM relay`;
    await db.sql`DELETE FROM event`;
  });
  return {
    db,
    pool,
    async stored(url) {
      const rows = await db.sql`SELECT encode(event_id, 'hex') AS id FROM event_relay WHERE relay_url = ${url}`;
      return new Set(rows.map((r) => String(r.id)));
    },
    async expectAuditClean() {
      const report = await auditEvents(db.sql, { verify: (events) => pool().verify(events) });
      const [row] = await db.sql`SELECT count(*)::int AS n FROM event`;
      expect(report).toEqual({ verifiable: true, checked: row?.n, bad: [] });
    },
    async state(url, type) {
      const [row] = await getServiceState(db.sql, 'synchronizer', type, url);
      return row?.stateValue;
    },
    async cycle(url, config, opts = {}) {
      await insertRelays(db.sql, [{ url: url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = {
        ...recordingDeps(db.sql, { now: opts.now ?? (() => Math.floor(Date.now() / 1000)) }),
        pool: pool(),
        ...(opts.signer ? { signer: opts.signer } : {}),
      };
      await createSynchronizer(deps, config).cycle(new AbortController().signal);
      return deps;
    },
  };
}

/** A synchronizer config for the local network only (a test relay), short timeouts, over `over`. */
export function localSyncConfig(over: Record<string, unknown> = {}): SynchronizerConfig {
  return synchronizerConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 3 } },
    processing: { limit: 100, end_lag: 0, batch_size: 100, since: 1_699_000_000 },
    timeouts: { idle: 3 },
    ...over,
  });
}

/** Three days of history before `now` (one event every 151 s) and a dense second of 400 events at now − 40,000. */
export function syncHistory(now: number): NostrEvent[] {
  return [
    ...generateEvents(1_500, { seed: 1, createdAt: (i) => now - 3 * 86_400 + i * 151 }),
    ...generateEvents(400, { seed: 2, kinds: [1, 7, 6, 16], createdAt: () => now - 40_000 }),
  ];
}
