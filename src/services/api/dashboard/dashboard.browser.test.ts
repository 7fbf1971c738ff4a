/**
 * The dashboard in a real browser (Debian's chromium through playwright-core): overview figures, charts and the
 * pipeline panel, the relay table's search and filters, a relay page with its charts, NIP-11 facts and
 * synchronization, on a 1,400 px desktop and a 390 px phone (no sideways scrolling, every chart label drawn).
 * Chromium is required: without it this test fails (CI installs it), it never skips. Screenshots go to the
 * repository's git-ignored `.test-artifacts/dashboard/`.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLastCycle } from '../../../core/db/cycles.js';
import { refreshAllStatistics } from '../../../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade, insertRelays } from '../../../core/db/store.js';
import { buildMetadata, type MetadataType, type RelayMetadata } from '../../../models/metadata.js';
import type { Relay, RelayUrl } from '../../../models/relay.js';
import { artifactDir } from '../../../testing/artifacts.js';
import { generateEvents } from '../../../testing/events.js';
import { recordingLogger } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { seedPipelineState } from '../../../testing/vitest/pipeline-seed.js';
import { everyInsightTable, insightRoutes } from '../insights/insights.js';
import { dashboardRoutes, dashboardTitle } from './dashboard.js';
import { chartInfo, chartLabels, clippedTables, noOverflow, open, type PageGlobals } from './page-probes.js';

const CHROMIUM = process.env.BIGBROTR_CHROMIUM ?? '/usr/bin/chromium';
const NOW = Math.floor(Date.now() / 1000);
const HOUR = 3_600;
const DAY = 86_400;
const db = useTestDatabase('bigbrotr');

const relay = (url: string, network: Relay['network'] = 'clearnet'): Relay => ({
  url: url as RelayUrl,
  network,
  discoveredAt: NOW - 90 * DAY,
});
const ALPHA = relay('wss://alpha.example.com');
const BETA = relay('wss://beta.example.org');
const EVIL = relay('wss://evil.example.net');
const ONION = relay(`ws://${'o'.repeat(56)}.onion`, 'tor');
const QUIET = [relay('wss://quiet1.example.com'), relay('wss://quiet2.example.com')];
const OVERLAYS = [
  relay(`ws://${'i'.repeat(52)}.b32.i2p`, 'i2p'),
  relay(`ws://${'l'.repeat(52)}.loki`, 'loki'),
  relay('ws://127.0.0.1:17700', 'local'),
];
// 17 NIPs in all, as in the demo farm: every one must get its labelled bar
const ALPHA_NIPS = [1, 2, 4, 9, 11, 22, 28, 40, 42, 70, 77];
const BETA_NIPS = [1, 11, 12, 15, 16, 20, 33];
const EVIL_NIPS = [1, 86];
const NIP_COUNT = new Set([...ALPHA_NIPS, ...BETA_NIPS, ...EVIL_NIPS]).size;
const XSS_NAME = '<img src=x onerror="window.__xss=1">Evil';

function doc(r: Relay, type: MetadataType, value: unknown, generatedAt: number): RelayMetadata {
  return { relay: r, metadata: buildMetadata(type, value), generatedAt };
}
function rtt(open: number | null) {
  return open === null
    ? { data: {}, logs: { open_success: false, open_reason: 'timeout', read_success: false, write_success: false } }
    : {
        data: { rtt_open: open, rtt_read: open + 20, rtt_write: open + 40 },
        logs: { open_success: true, read_success: true, write_success: true },
      };
}

async function seed(): Promise<void> {
  const rows: RelayMetadata[] = [];
  for (let i = 0; i < 24; i++) rows.push(doc(ALPHA, 'nip66_rtt', rtt(i % 7 === 3 ? null : 80 + i * 3), NOW - i * HOUR));
  for (let d = 1; d < 30; d++)
    rows.push(doc(ALPHA, 'nip66_rtt', rtt(d % 5 === 0 ? null : 90 + d), NOW - d * DAY - 600));
  rows.push(doc(BETA, 'nip66_rtt', rtt(null), NOW - 300), doc(EVIL, 'nip66_rtt', rtt(150), NOW - 400));
  const info = (data: Record<string, unknown>) => ({ data, logs: { success: true } });
  rows.push(
    doc(
      ALPHA,
      'nip11_info',
      info({
        name: 'Alpha Relay',
        description: 'A relay for the dashboard test.',
        software: 'git+https://github.com/hoytech/strfry.git',
        version: '1.0.4',
        supported_nips: ALPHA_NIPS,
        contact: 'admin@alpha.example.com',
      }),
      NOW - 200,
    ),
    doc(BETA, 'nip11_info', info({ name: 'Beta', software: 'nostr-rs-relay', supported_nips: BETA_NIPS }), NOW - 200),
    doc(EVIL, 'nip11_info', info({ name: XSS_NAME, software: 'khatru', supported_nips: EVIL_NIPS }), NOW - 200),
    // no geo check (as in the demo): the country is the one the relay announces
    doc(QUIET[0] as Relay, 'nip11_info', info({ name: 'Quiet', relay_countries: ['JP'] }), NOW - 200),
    doc(ALPHA, 'nip66_ssl', { data: { ssl_valid: true, ssl_issuer: "Let's Encrypt" }, logs: { success: true } }, NOW),
    doc(ALPHA, 'nip66_geo', { data: { geo_country: 'DE', geo_city: 'Berlin' }, logs: { success: true } }, NOW),
    doc(BETA, 'nip66_geo', { data: { geo_country: 'US' }, logs: { success: true } }, NOW),
  );
  await insertRelays(db.sql, [ONION, ...QUIET, ...OVERLAYS]);
  await insertRelayMetadataCascade(db.sql, rows);
  await seedPipeline();
  const events = generateEvents(12, { seed: 3, kinds: [1, 7], createdAt: (i) => NOW - i * 5 * HOUR });
  await insertEventRelaysCascade(
    db.sql,
    events.map((event, i) => ({ event, relay: i % 3 === 0 ? BETA : ALPHA, seenAt: event.created_at + 1 })),
  );
  await refreshAllStatistics(db.sql);
}

/** Candidates (two failed by dns, one by tls), the synchronizer's state and two services' last cycles. */
async function seedPipeline(): Promise<void> {
  await seedPipelineState(db.sql, {
    now: NOW,
    candidatesAt: NOW - 900,
    failures: 1,
    cursors: { [ALPHA.url]: NOW - 120, [BETA.url]: NOW - 7_200 },
    statuses: {
      [ALPHA.url]: { complete: true, reason: null, resume_at: null, withheld: { '4': 12 }, updated_at: NOW - 120 },
      [BETA.url]: {
        complete: false,
        reason: 'rate-limited',
        resume_at: NOW - 7_200,
        withheld: {},
        updated_at: NOW - 60,
      },
    },
  });
  await recordLastCycle(db.sql, 'monitor', { started_at: NOW - 70, ended_at: NOW - 58, outcome: 'ok' });
  await recordLastCycle(db.sql, 'validator', {
    started_at: NOW - 40,
    ended_at: NOW - 39,
    outcome: 'failed',
    error: 'Error: database connection lost',
  });
}

let base = '';
let browser: Browser | undefined;
let closeServer = async (): Promise<void> => {};

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set BIGBROTR_CHROMIUM to its path`,
    );
  const [launched] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }), seed()]);
  browser = launched;
  const app = new Hono();
  app.route(
    '/v1',
    insightRoutes(
      { sql: db.sql, logger: recordingLogger([]) },
      { defaultPageSize: 100, maxPageSize: 500, tables: everyInsightTable() },
    ),
  );
  app.route('/', dashboardRoutes({ apiPrefix: '/v1', title: dashboardTitle('BigBrotr API') }));
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
});
afterAll(async () => {
  await browser?.close();
  await closeServer();
});

const stat = (page: Page, name: string) => page.locator(`[data-stat="${name}"] .stat-value`);
const rows = (page: Page) => page.locator('tr.relay-row');

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  const path = join(await artifactDir('dashboard-'), `${name}.png`);
  await page.screenshot({ path, fullPage });
  console.log(`dashboard screenshot: ${path}`);
}

/** The NIP chart has one bar per NIP and draws every bar's label. */
async function expectEveryNip(page: Page): Promise<void> {
  const nips = await chartLabels(page, 'nips', 'y');
  expect(nips.labels).toHaveLength(NIP_COUNT);
  expect(nips.drawn).toEqual(nips.labels);
  expect(nips.labels).toContain('NIP-86');
}

/** The pipeline panel: candidates by failure reason, relays, synchronizer problems, services' last cycles. */
async function expectPipeline(page: Page): Promise<void> {
  const panel = page.locator('[data-panel="pipeline"]');
  const stage = (name: string) => panel.locator(`[data-stage="${name}"]`);
  await expect.poll(() => stage('candidates').locator('.stage-value').textContent()).toBe('5 waiting');
  expect(await stage('candidates').textContent()).toContain('2 not checked yet');
  expect(await stage('candidates').locator('.count').allTextContents()).toEqual(['dns 2', 'tls 1']);
  expect(await stage('promoted').locator('.stage-value').textContent()).toBe('9 promoted');
  expect(await stage('promoted').textContent()).toContain('3 monitored');
  expect(await stage('synchronized').locator('.stage-value').textContent()).toBe('2 synchronized');
  expect(await stage('synchronized').textContent()).toContain('1 complete, 1 incomplete');
  expect(await stage('synchronized').locator('.count').allTextContents()).toEqual(['rate-limited 1']);
  expect(await stage('synchronized').textContent()).toContain('kind 4 (1 relay, 12 events)');
  expect(await panel.locator('.problems li').evaluateAll((li) => li.map((x) => x.getAttribute('data-url')))).toEqual([
    BETA.url,
    ALPHA.url,
  ]);
  const service = (name: string) => panel.locator(`tr[data-service="${name}"]`).textContent();
  expect(await service('monitor')).toContain('12 s');
  expect(await service('validator')).toContain('failed Error: database connection lost');
  // relays were promoted, so no offline hint
  expect(await panel.locator('[data-hint]').count()).toBe(0);
}

describe('dashboard in chromium', () => {
  it('shows the overview, filters the relay table and opens a relay page on a desktop', async () => {
    const context = await (browser as Browser).newContext({ viewport: { width: 1400, height: 900 } });
    const { page, problems } = await open(context, base);
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-page="overview"]');
    expect(await page.title()).toBe('BigBrotr');
    expect(await page.locator('.brand').textContent()).toBe('BigBrotr');
    await expect.poll(() => stat(page, 'relays-total').textContent()).toBe('9');
    expect(await stat(page, 'relays-online').textContent()).toBe('2');
    expect(await stat(page, 'relays-offline').textContent()).toBe('1');
    expect(await stat(page, 'relays-unchecked').textContent()).toBe('6');
    expect(await stat(page, 'events-total').textContent()).toBe('12');
    for (const name of ['networks', 'events-per-day', 'software', 'nips']) {
      const c = await chartInfo(page, name);
      expect(c.points, name).toBeGreaterThan(0);
      expect(c.width, name).toBeGreaterThan(100);
    }
    expect((await chartInfo(page, 'events-per-day')).points).toBe(30);
    await expectEveryNip(page);
    await expectPipeline(page);
    expect(await clippedTables(page)).toEqual([]);
    await shot(page, 'desktop-overview');

    await page.click('nav a[href="#/relays"]');
    await page.waitForSelector('body[data-page="relays"]');
    await expect.poll(() => rows(page).count()).toBe(9);
    const country = (url: string) => page.locator(`tr[data-url="${url}"] td[data-label="Country"]`).textContent();
    expect(await country(ALPHA.url)).toBe('DE');
    expect(await country((QUIET[0] as Relay).url)).toBe('JP*');
    expect(await country(ONION.url)).toBe('—');
    await page.fill('#relay-search', 'alpha');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-url')).toBe(ALPHA.url);
    expect(page.url()).toContain('q=alpha');
    await page.fill('#relay-search', '');
    await expect.poll(() => rows(page).count()).toBe(9);
    await page.selectOption('select[name="network"]', 'tor');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-url')).toBe(ONION.url);
    await page.selectOption('select[name="network"]', '');
    await page.selectOption('select[name="nip"]', '42');
    await expect.poll(() => rows(page).count()).toBe(1);
    await page.selectOption('select[name="nip"]', '');
    await page.selectOption('select[name="country"]', 'US');
    await expect.poll(async () => (await rows(page).first().getAttribute('data-url')) ?? '').toBe(BETA.url);
    await page.selectOption('select[name="country"]', 'JP');
    await expect.poll(async () => (await rows(page).first().getAttribute('data-url')) ?? '').toBe(QUIET[0]?.url);
    await page.selectOption('select[name="country"]', '');
    await expect.poll(() => rows(page).count()).toBe(9);
    // relay-supplied names are text, never markup
    expect(await page.locator(`tr[data-url="${EVIL.url}"]`).textContent()).toContain(XSS_NAME);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
    await shot(page, 'desktop-relays');

    await page.click(`tr[data-url="${ALPHA.url}"] a.relay-link`);
    await page.waitForSelector('body[data-page="relay"]');
    expect(await page.locator('h1').textContent()).toBe('Alpha Relay');
    const nip11 = await page.locator('section', { hasText: 'NIP-11' }).textContent();
    expect(nip11).toContain('git+https://github.com/hoytech/strfry.git');
    expect(nip11).toContain(ALPHA_NIPS.join(', '));
    expect(nip11).toContain('1.0.4');
    expect(await page.locator('section', { hasText: 'TLS certificate' }).textContent()).toContain("Let's Encrypt");
    expect(await page.locator('section', { hasText: 'Location and network' }).textContent()).toContain('Berlin');
    expect(await page.locator('section', { hasText: 'Synchronization' }).textContent()).toContain(
      'complete; withheld kind 4 (12)',
    );
    expect(await stat(page, 'uptime-24h').textContent()).toMatch(/^\d+\.\d %$/);
    expect(await page.locator('[data-stat="uptime-24h"] .stat-note').textContent()).toMatch(/^\d+ checks$/);
    // the latency-by-window table fits at 1,400 px: no table is cut off or scrolled
    expect(await page.locator('section', { hasText: 'Latency by window' }).locator('tbody tr').count()).toBe(3);
    expect(await clippedTables(page)).toEqual([]);
    expect((await chartInfo(page, 'uptime')).points).toBeGreaterThanOrEqual(25);
    expect((await chartInfo(page, 'latency')).points).toBeGreaterThan(50);
    expect(await page.locator('tr.check-row').count()).toBe(50);
    await page.click('text=Older checks');
    await expect.poll(() => page.locator('tr.check-row').count()).toBe(53);
    await shot(page, 'desktop-relay');

    // one check is "1 check"; a relay the synchronizer could not complete says why
    await page.goto(`${base}/#/relay/${encodeURIComponent(EVIL.url)}`);
    await expect.poll(() => page.locator('[data-stat="uptime-30d"] .stat-note').textContent()).toBe('1 check');
    await page.goto(`${base}/#/relay/${encodeURIComponent(BETA.url)}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Beta');
    expect(await page.locator('section', { hasText: 'Synchronization' }).textContent()).toContain(
      'incomplete: rate-limited; resumes from',
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is readable on a phone: one column, no horizontal scrolling, charts drawn', async () => {
    const context = await (browser as Browser).newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const { page, problems } = await open(context, base);
    const fits = async (): Promise<void> => {
      const o = await noOverflow(page);
      expect(o.width).toBe(390);
      expect(o.page, 'the page scrolls sideways').toBeLessThanOrEqual(o.width);
    };
    await page.goto(`${base}/#/`);
    await page.waitForSelector('body[data-page="overview"]');
    await expect.poll(() => stat(page, 'relays-total').textContent()).toBe('9');
    await fits();
    expect((await chartInfo(page, 'events-per-day')).points).toBe(30);
    await expectEveryNip(page);
    await expectPipeline(page);
    await shot(page, 'phone-overview');

    await page.goto(`${base}/#/relays?network=clearnet`);
    await page.waitForSelector('body[data-page="relays"]');
    await expect.poll(() => rows(page).count()).toBe(5);
    expect(await page.locator('table.relays thead').isVisible()).toBe(false);
    await fits();
    await shot(page, 'phone-relays');
    await page.fill('#relay-search', 'beta');
    await expect.poll(() => rows(page).count()).toBe(1);
    await page.tap(`tr[data-url="${BETA.url}"] a.relay-link`);
    await page.waitForSelector('body[data-page="relay"]');
    expect(await page.locator('h1').textContent()).toBe('Beta');
    expect((await chartInfo(page, 'latency')).points).toBe(0);
    expect(await page.locator('.relay-url .badge').textContent()).toBe('offline');
    await page.goto(`${base}/#/relay/${encodeURIComponent(ALPHA.url)}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Alpha Relay');
    expect((await chartInfo(page, 'uptime')).width).toBeGreaterThan(200);
    await fits();
    await shot(page, 'phone-relay');
    expect(problems).toEqual([]);
    await context.close();
  });
});
