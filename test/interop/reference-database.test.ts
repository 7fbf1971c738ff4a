/**
 * A database shaped as the reference (release 6.6.9) leaves it: its partition names, its grants (refresher and
 * reader may only read; no row-level security on service_state), a statistics view whose definition is not
 * ours, and service_state rows in its shapes (synchronizer cursor `{timestamp, id}`, validator candidate,
 * monitor checkpoint, finder cursor). Before `db init`, our refresher and DVM report the privilege they lack once
 * and skip that duty; `db init` (twice) upgrades the grants and the views; then the synchronizer resumes from the
 * reference's cursor, the refresher refreshes every view and cleans orphans, the API answers and the DVM keeps
 * its state. Every service connects with the role of its deployment.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initDatabase } from '../../src/core/db/schema.js';
import {
  getServiceState,
  insertEventRelaysCascade,
  insertEvents,
  upsertServiceState,
} from '../../src/core/db/store.js';
import type { Relay, RelayUrl } from '../../src/models/relay.js';
import { readSyncCursor } from '../../src/models/service-state.js';
import { createSigner } from '../../src/nips/signer.js';
import { everyInsightTable, insightRoutes } from '../../src/services/api/insights/insights.js';
import { EVENT_STATS_FIELDS } from '../../src/services/api/insights/stats.js';
import { dvmConfigSchema } from '../../src/services/dvm/config.js';
import { createDvm } from '../../src/services/dvm/dvm.js';
import { refresherConfigSchema } from '../../src/services/refresher/config.js';
import { createRefresher } from '../../src/services/refresher/refresher.js';
import { synchronizerConfigSchema } from '../../src/services/synchronizer/config.js';
import { createSynchronizer } from '../../src/services/synchronizer/synchronizer.js';
import { createDatabase, dropDatabase, initSqlDir, randomDatabaseName } from '../../src/testing/databases.js';
import { generateEvents, signEvent, testSecretKey } from '../../src/testing/events.js';
import { startTestRelay, type TestRelay } from '../../src/testing/relay/relay.js';
import { recordingDeps, recordingLogger } from '../../src/testing/service-deps.js';
import { createVerifierPool, type VerifierPool } from '../../src/utils/verifier/pool.js';
import { catalogFacts, referenceFacts } from '../sql/catalog-facts.js';

const NOW = Math.floor(Date.now() / 1000);
const CURSOR = NOW - 1000;
const REF_ID = 'ab'.repeat(32);
const signal = () => new AbortController().signal;
const dir = initSqlDir(process.cwd(), 'bigbrotr');

let name: string;
let url: string;
let admin: postgres.Sql;
const sessions: postgres.Sql[] = [];
let pool: VerifierPool;
let syncRelay: TestRelay;
let dvmRelay: TestRelay;
let relay: Relay;
const before = generateEvents(5, { seed: 171, createdAt: (i) => CURSOR - 500 + i });
const after = generateEvents(20, { seed: 172, createdAt: (i) => CURSOR + i * 10 });
const dvmSigner = createSigner(testSecretKey(173, 0));

/**
 * A client connected as `role` (trust authentication on the test server). Sessions may write: whether a role's
 * sessions default to read-only is the deployment's choice, not the database's shape tested here.
 */
function as(role: 'writer' | 'reader' | 'refresher' | 'dvm'): postgres.Sql {
  const u = new URL(url);
  u.username = role;
  const s = postgres(u.toString(), {
    max: 2,
    onnotice: () => {},
    // the startup parameter as text: postgres.js leaves out a `false` value
    connection: { default_transaction_read_only: 'off' } as unknown as postgres.ConnectionParameters,
  });
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  name = randomDatabaseName('t_refdb');
  url = await createDatabase(inject('adminUrl'), name);
  admin = postgres(url, { max: 1, onnotice: () => {} });
  await initDatabase(admin, dir);
  // the reference's grants: refresher and reader read only, no row-level security on service_state
  await admin
    .unsafe(`
    ALTER TABLE service_state DISABLE ROW LEVEL SECURITY;
    DO $$ DECLARE p TEXT; BEGIN
      FOR p IN SELECT policyname FROM pg_policies WHERE tablename = 'service_state' LOOP
        EXECUTE format('DROP POLICY %I ON service_state', p);
      END LOOP;
    END $$;
    DO $$ DECLARE t TEXT; BEGIN
      FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I FROM reader, refresher', t);
      END LOOP;
    END $$;
    -- a view definition that is not this release's (one that fails on a far-future created_at)
    DROP MATERIALIZED VIEW event_daily_counts;
    CREATE MATERIALIZED VIEW event_daily_counts AS SELECT (to_timestamp(created_at) AT TIME ZONE 'UTC')::date AS day,
      count(*) AS event_count, count(DISTINCT pubkey) AS unique_pubkeys, count(DISTINCT kind) AS unique_kinds
      FROM event GROUP BY 1;
    CREATE UNIQUE INDEX idx_event_daily_counts_day ON event_daily_counts (day);
    ALTER MATERIALIZED VIEW event_daily_counts OWNER TO refresher;
    -- a view the refresher role does not own
    ALTER MATERIALIZED VIEW supported_nip_counts OWNER TO CURRENT_USER;`)
    .simple();
  pool = createVerifierPool({ threads: 1 });
  syncRelay = await startTestRelay({ events: [...before, ...after] });
  dvmRelay = await startTestRelay();
  relay = { url: syncRelay.url as RelayUrl, network: 'local', discoveredAt: 1 };
  const farFuture = generateEvents(1, { seed: 174, createdAt: () => 9_300_000_000_000 });
  await insertEventRelaysCascade(
    admin,
    farFuture.map((event) => ({ event, relay, seenAt: NOW })),
  );
  await insertEvents(admin, generateEvents(1, { seed: 175 })); // an orphan: no relay saw it
  await admin`SELECT metadata_insert(ARRAY[decode(repeat('cd', 32), 'hex')], ARRAY['nip11_info'],
    ARRAY['{"data": {}}'::jsonb])`;
  await upsertServiceState(admin, [
    {
      serviceName: 'synchronizer',
      stateType: 'cursor',
      stateKey: relay.url,
      stateValue: { timestamp: CURSOR, id: REF_ID },
    },
    {
      serviceName: 'finder',
      stateType: 'cursor',
      stateKey: relay.url,
      stateValue: { timestamp: 1, id: '0'.repeat(64) },
    },
    { serviceName: 'monitor', stateType: 'checkpoint', stateKey: relay.url, stateValue: { timestamp: 5 } },
    {
      serviceName: 'validator',
      stateType: 'checkpoint',
      stateKey: 'wss://candidate.example.com',
      stateValue: { network: 'clearnet', failures: 0, timestamp: 1 },
    },
  ]);
});
afterAll(async () => {
  for (const s of sessions) await s.end({ timeout: 5 });
  await admin?.end({ timeout: 5 });
  await pool?.close();
  await syncRelay?.close();
  await dvmRelay?.close();
  if (name) await dropDatabase(inject('adminUrl'), name);
});

const refresher = (sql: postgres.Sql) => {
  const deps = recordingDeps(sql);
  return { deps, service: createRefresher(deps, refresherConfigSchema.parse({ cleanup: { interval: 60 } })) };
};
const dvm = (sql: postgres.Sql) => {
  const deps = { ...recordingDeps(sql), signer: dvmSigner, allowLocal: true };
  const config = dvmConfigSchema.parse({
    relays: [dvmRelay.url],
    fetch_timeout: 5,
    tables: { relay: { enabled: true } },
  });
  return { deps, service: createDvm(deps, config) };
};
const ask = (): string => {
  const request = signEvent(
    { kind: 5050, created_at: Math.floor(Date.now() / 1000), tags: [['param', 'table', 'relay']], content: '' },
    testSecretKey(176, 0),
  );
  dvmRelay.store.add(request);
  return request.id;
};
const answers = (id: string) =>
  dvmRelay.store
    .all()
    .filter((e) => e.pubkey === dvmSigner.pubkey && e.kind === 6050 && e.tags.some((t) => t[0] === 'e' && t[1] === id));
const count = async (q: string) => Number((await admin.unsafe(q))[0]?.n);

describe('on a database with the reference grants, before db init', () => {
  it('the refresher says once that it cannot clean orphans or refresh a view it does not own, and refreshes the rest', async () => {
    const { deps, service } = refresher(as('refresher'));
    for (let i = 0; i < 2; i++) {
      await service.cleanup?.(signal());
      await service.cycle(signal());
    }
    expect(deps.logs.filter((l) => l.message === 'orphan_cleanup_skipped')).toHaveLength(1);
    const skipped = deps.logs.filter((l) => l.message === 'views_skipped');
    expect(skipped.map((l) => l.fields.views)).toEqual(['supported_nip_counts']);
    expect(deps.logs.some((l) => l.message === 'orphan_cleanup_failed')).toBe(false);
    expect(
      await count(
        'SELECT count(*) AS n FROM event e WHERE NOT EXISTS (SELECT 1 FROM event_relay WHERE event_id = e.id)',
      ),
    ).toBe(1);
    // the foreign view definition fails on the far-future event; every other view refreshes
    expect(deps.gauges.get('views_failed')).toBe(1);
  });

  it('the DVM says once that its state is not kept, and answers a request once', async () => {
    const id = ask();
    const { deps, service } = dvm(as('reader'));
    await service.cycle(signal());
    await service.cycle(signal());
    expect(answers(id)).toHaveLength(1);
    expect(deps.logs.filter((l) => l.message === 'state_not_persisted')).toHaveLength(1);
  });
});

describe('after db init (twice) on that database', () => {
  beforeAll(async () => {
    await initDatabase(admin, dir);
    await initDatabase(admin, dir);
  });

  it('has the reference catalog facts, and keeps the reference-shaped service_state rows', async () => {
    expect(await catalogFacts(admin)).toEqual(referenceFacts('bigbrotr'));
    const [candidate] = await getServiceState(admin, 'validator', 'checkpoint', 'wss://candidate.example.com');
    expect(candidate?.stateValue).toEqual({ network: 'clearnet', failures: 0, timestamp: 1 });
  });

  it('the synchronizer resumes from the reference cursor and leaves a cursor both can read', async () => {
    const config = synchronizerConfigSchema.parse({
      networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 3 } },
      // the trailing re-check of late events (which looks before the cursor) off: this is the cursor's meaning
      processing: { limit: 100, end_lag: 0, batch_size: 100, since: 1, recheck_span: 0, recheck_req_span: 0 },
      timeouts: { idle: 3 },
    });
    const deps = { ...recordingDeps(as('writer'), { now: () => NOW }), pool };
    await createSynchronizer(deps, config).cycle(signal());
    const rows = await admin`SELECT encode(event_id, 'hex') AS id FROM event_relay WHERE relay_url = ${relay.url}`;
    const stored = new Set(rows.map((r) => String(r.id)));
    for (const e of after) expect(stored.has(e.id)).toBe(true);
    // nothing older than the cursor was asked for
    for (const e of before) expect(stored.has(e.id)).toBe(false);
    expect(deps.counters.get('events_inserted')).toBe(after.length);
    const [cursor] = await getServiceState(admin, 'synchronizer', 'cursor', relay.url);
    const read = readSyncCursor(cursor?.stateValue);
    expect(read.ok && read.value.timestamp).toBeGreaterThanOrEqual(CURSOR + 190);
  });

  it('the refresher refreshes every view (far-future event included) and deletes the orphans', async () => {
    const { deps, service } = refresher(as('refresher'));
    await service.cleanup?.(signal());
    await service.cycle(signal());
    expect(deps.logs.some((l) => l.message.endsWith('_skipped'))).toBe(false);
    expect(deps.gauges.get('views_failed')).toBe(0);
    expect(
      await count(
        'SELECT count(*) AS n FROM event e WHERE NOT EXISTS (SELECT 1 FROM event_relay WHERE event_id = e.id)',
      ),
    ).toBe(0);
    expect(
      await count("SELECT count(*) AS n FROM event_daily_counts WHERE day = 'infinity' OR day > '290000-01-01'"),
    ).toBe(1);
  });

  it('the API answers /stats and /relays/{url} with the reference column names', async () => {
    const app = new Hono();
    app.route(
      '/v1',
      insightRoutes(
        { sql: as('reader'), logger: recordingLogger([]), now: () => NOW },
        { defaultPageSize: 10, maxPageSize: 10, cacheSeconds: 0, tables: everyInsightTable() },
      ),
    );
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const stats = await fetch(`${base}/stats`);
      expect(stats.status).toBe(200);
      const s = (await stats.json()) as { data: { events: Record<string, number> } };
      expect(Object.keys(s.data.events)).toEqual([...EVENT_STATS_FIELDS]);
      expect(s.data.events.event_count).toBe(after.length + 1);
      const detail = await fetch(`${base}/relays/${encodeURIComponent(relay.url)}`);
      expect(detail.status).toBe(200);
      const d = (await detail.json()) as { data: { stats: Record<string, number> } };
      expect(d.data.stats.first_event_timestamp).toBe(CURSOR);
      expect(d.data.stats.last_event_timestamp).toBe(9_300_000_000_000);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the DVM keeps its state in the database', async () => {
    const id = ask();
    // the DVM's own role (after db init): it may write its own service_state rows and nothing else
    const { deps, service } = dvm(as('dvm'));
    await service.cycle(signal());
    await service.cycle(signal());
    expect(deps.logs.filter((l) => l.message === 'state_not_persisted').map((l) => l.fields.reason)).toEqual([]);
    expect(answers(id)).toHaveLength(1);
    expect((await getServiceState(admin, 'dvm', 'checkpoint')).length).toBeGreaterThan(1);
  });
});
