/**
 * `GET /pipeline` and the relay detail's `sync` against real PostgreSQL: candidates and their failure reasons as
 * the validator stores them, RTT checks, synchronizer cursors and `sync_status` rows, and the runner's last-cycle
 * rows written by `recordLastCycle`. Also the answers' rounding rule on a relay whose latencies do not divide.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLastCycle } from '../../../core/db/cycles.js';
import { refreshAllStatistics } from '../../../core/db/maintenance.js';
import { insertRelayMetadataCascade } from '../../../core/db/store.js';
import { buildMetadata } from '../../../models/metadata.js';
import type { Relay, RelayUrl } from '../../../models/relay.js';
import { recordingLogger } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { seedPipelineState } from '../../../testing/vitest/pipeline-seed.js';
import { everyInsightTable, insightRoutes } from './insights.js';

const NOW = 1_700_100_000;
const relay = (host: string): Relay => ({ url: `wss://${host}` as RelayUrl, network: 'clearnet', discoveredAt: NOW });
const [R1, R2, R3] = [relay('one.example.com'), relay('two.example.com'), relay('three.example.com')] as const;
const rtt = (open: number, at: number) => ({
  relay: R1,
  metadata: buildMetadata('nip66_rtt', {
    data: { rtt_open: open, rtt_read: open + 0.1, rtt_write: open + 0.2 },
    logs: { open_success: true, read_success: true, write_success: true },
  }),
  generatedAt: at,
});

describe('GET /pipeline', () => {
  const db = useTestDatabase('bigbrotr');
  let base = '';
  let close = async (): Promise<void> => {};
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  const get = async (path: string): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, json: await res.json() };
  };
  beforeAll(async () => {
    // R1 three checks (open 100.1, 200.2, 156.4: averages and percentiles that do not divide), R2 and R3 none
    await insertRelayMetadataCascade(db.sql, [rtt(100.1, NOW - 10), rtt(200.2, NOW - 20), rtt(156.4, NOW - 90_000)]);
    await insertRelayMetadataCascade(db.sql, [
      {
        relay: R2,
        metadata: buildMetadata('nip66_rtt', { data: {}, logs: { open_success: false, open_reason: 'timeout' } }),
        generatedAt: NOW - 200_000,
      },
    ]);
    await insertRelayMetadataCascade(db.sql, [
      {
        relay: R3,
        metadata: buildMetadata('nip11_info', { data: { name: 'x' }, logs: { success: true } }),
        generatedAt: NOW,
      },
    ]);
    await seedPipelineState(db.sql, {
      now: NOW,
      candidatesAt: NOW - 500,
      failures: 2,
      cursors: { [R1.url]: NOW - 60, [R2.url]: NOW - 7_200 },
      statuses: {
        [R1.url]: {
          complete: true,
          reason: null,
          resume_at: null,
          withheld: { '4': 12, '1059': null },
          updated_at: NOW - 60,
        },
        [R2.url]: {
          complete: false,
          reason: 'rate-limited',
          resume_at: NOW - 7_200,
          withheld: {},
          updated_at: NOW - 30,
        },
        [R3.url]: {
          complete: false,
          reason: 'auth-required',
          resume_at: null,
          withheld: { '4': 3 },
          updated_at: NOW - 30,
        },
      },
    });
    await recordLastCycle(db.sql, 'validator', { started_at: NOW - 20, ended_at: NOW - 5, outcome: 'ok' });
    await recordLastCycle(db.sql, 'monitor', {
      started_at: NOW - 100,
      ended_at: NOW - 90,
      outcome: 'failed',
      error: 'Error: boom',
    });
    await recordLastCycle(db.sql, 'monitor', { started_at: NOW - 9, ended_at: NOW - 1, outcome: 'ok' });
    await refreshAllStatistics(db.sql);
    const app = new Hono();
    app.route(
      '/v1',
      insightRoutes(
        { sql: db.sql, logger: recordingLogger([]), now: () => NOW },
        { defaultPageSize: 10, maxPageSize: 10, cacheSeconds: 0, tables: everyInsightTable() },
      ),
    );
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  it('counts candidates by failure reason, relays promoted, monitored and synchronized, and last cycles', async () => {
    const r = await get('/v1/pipeline');
    expect(r.status).toBe(200);
    const p = r.json.data;
    expect(p.candidates).toEqual({
      waiting: 5,
      never_checked: 2,
      failing: 3,
      failure_reasons: [
        { reason: 'dns', count: 2 },
        { reason: 'tls', count: 1 },
      ],
    });
    expect(p.relays).toEqual({ promoted: 3 });
    expect(p.monitor).toEqual({ monitored: 2, checked_24h: 1, online: 1 });
    expect(p.synchronizer).toMatchObject({
      synchronized: 2,
      oldest_cursor: NOW - 7_200,
      complete: 1,
      incomplete: 2,
      withheld: 2,
      incomplete_reasons: [
        { reason: 'auth-required', count: 1 },
        { reason: 'rate-limited', count: 1 },
      ],
      withheld_kinds: [
        { kind: 4, relays: 2, events: 15 },
        { kind: 1059, relays: 1, events: null },
      ],
    });
    // incomplete first, then complete relays with withheld kinds
    expect(p.synchronizer.problems.map((x: { url: string }) => x.url)).toEqual([R3.url, R2.url, R1.url]);
    expect(p.synchronizer.problems[1]).toEqual({
      url: R2.url,
      complete: false,
      reason: 'rate-limited',
      resume_at: NOW - 7_200,
      withheld: {},
      updated_at: NOW - 30,
    });
    expect(p.services).toEqual([
      { service: 'monitor', started_at: NOW - 9, ended_at: NOW - 1, outcome: 'ok', error: null },
      { service: 'validator', started_at: NOW - 20, ended_at: NOW - 5, outcome: 'ok', error: null },
    ]);
    expect((await get('/v1/pipeline?x=1')).status).toBe(400);
  });

  it("puts the relay's synchronizer cursor and sync_status in its detail", async () => {
    const one = (await get(`/v1/relays/${encodeURIComponent(R1.url)}`)).json.data;
    expect(one.sync).toEqual({
      cursor: NOW - 60,
      status: {
        complete: true,
        reason: null,
        resume_at: null,
        withheld: { '4': 12, '1059': null },
        updated_at: NOW - 60,
      },
    });
    const three = (await get(`/v1/relays/${encodeURIComponent(R3.url)}`)).json.data;
    expect(three.sync).toEqual({
      cursor: null,
      status: { complete: false, reason: 'auth-required', resume_at: null, withheld: { '4': 3 }, updated_at: NOW - 30 },
    });
  });

  it('the read-only role records no cycle row, of the api or of another service', async () => {
    const asReader = (service: 'api' | 'monitor') =>
      db.sql.begin(async (tx) => {
        await tx`SET LOCAL ROLE reader`;
        await recordLastCycle(tx, service, { started_at: NOW - 3, ended_at: NOW - 2, outcome: 'ok' });
      });
    await expect(asReader('api')).rejects.toThrow(/permission denied|row-level security|read-only/);
    await expect(asReader('monitor')).rejects.toThrow(/permission denied|row-level security|read-only/);
  });

  it('rounds every number it computes to 3 decimals (stored documents are answered as stored)', async () => {
    const detail = (await get(`/v1/relays/${encodeURIComponent(R1.url)}`)).json.data;
    expect(detail.documents.nip66_rtt.data.rtt_read).toBe(100.1 + 0.1);
    const text = JSON.stringify({ ...detail, documents: null });
    const numbers = text.match(/-?\d+\.\d+/g) ?? [];
    expect(numbers.length).toBeGreaterThan(5);
    for (const n of numbers) expect(n.split('.')[1]?.length ?? 0, n).toBeLessThanOrEqual(3);
    expect(detail.health['24h'].rtt_open_p50).toBe(150.15);
    expect(detail.health['7d'].uptime).toBe(1);
  });
});
