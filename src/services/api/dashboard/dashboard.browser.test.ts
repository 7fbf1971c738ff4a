/**
 * The dashboard in a real browser (Debian's chromium through playwright-core): overview figures and charts, the
 * relay table's search and filters, a relay page with its charts and NIP-11 facts, on a desktop and a phone.
 * Chromium is required: without it this test fails (CI installs it), it never skips.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAllStatistics } from '../../../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade, insertRelays } from '../../../core/db/store.js';
import { buildMetadata, type MetadataType, type RelayMetadata } from '../../../models/metadata.js';
import type { Relay, RelayUrl } from '../../../models/relay.js';
import { artifactDir } from '../../../testing/artifacts.js';
import { generateEvents } from '../../../testing/events.js';
import { recordingLogger } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { insightRoutes } from '../insights/insights.js';
import { dashboardRoutes } from './dashboard.js';

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
        supported_nips: [1, 11, 42],
        contact: 'admin@alpha.example.com',
      }),
      NOW - 200,
    ),
    doc(BETA, 'nip11_info', info({ name: 'Beta', software: 'nostr-rs-relay', supported_nips: [1, 11] }), NOW - 200),
    doc(EVIL, 'nip11_info', info({ name: XSS_NAME, software: 'khatru', supported_nips: [1] }), NOW - 200),
    doc(ALPHA, 'nip66_ssl', { data: { ssl_valid: true, ssl_issuer: "Let's Encrypt" }, logs: { success: true } }, NOW),
    doc(ALPHA, 'nip66_geo', { data: { geo_country: 'DE', geo_city: 'Berlin' }, logs: { success: true } }, NOW),
    doc(BETA, 'nip66_geo', { data: { geo_country: 'US' }, logs: { success: true } }, NOW),
  );
  await insertRelays(db.sql, [ONION, ...QUIET]);
  await insertRelayMetadataCascade(db.sql, rows);
  const events = generateEvents(12, { seed: 3, kinds: [1, 7], createdAt: (i) => NOW - i * 5 * HOUR });
  await insertEventRelaysCascade(
    db.sql,
    events.map((event, i) => ({ event, relay: i % 3 === 0 ? BETA : ALPHA, seenAt: event.created_at + 1 })),
  );
  await refreshAllStatistics(db.sql);
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
    insightRoutes({ sql: db.sql, logger: recordingLogger([]) }, { defaultPageSize: 100, maxPageSize: 500 }),
  );
  app.route('/', dashboardRoutes({ apiPrefix: '/v1', title: 'BigBrotr test' }));
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

/** A page that records script errors, failed requests and CSP violations. */
async function open(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    if (!req.failure()?.errorText.includes('ABORTED'))
      problems.push(`request: ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) problems.push(`external request: ${req.url()}`);
  });
  return { page, problems };
}

const stat = (page: Page, name: string) => page.locator(`[data-stat="${name}"] .stat-value`);
const rows = (page: Page) => page.locator('tr.relay-row');

/** What the page-side functions use of the browser's globals (the test compiles without the DOM library). */
interface PageGlobals {
  document: {
    querySelector(selector: string): { width: number; height: number } | null;
    documentElement: { scrollWidth: number };
  };
  innerWidth: number;
  Chart: { getChart(canvas: unknown): { data: { datasets: { data: unknown[] }[] } } | undefined };
  __xss?: number;
}

/** Number of data points of the Chart.js chart drawn in `[data-chart=name]`, and the canvas's size. */
async function chartInfo(page: Page, name: string): Promise<{ points: number; width: number; height: number }> {
  return page.evaluate((n) => {
    const g = globalThis as unknown as PageGlobals;
    const canvas = g.document.querySelector(`canvas[data-chart="${n}"]`);
    const chart = canvas ? g.Chart.getChart(canvas) : undefined;
    const points = chart
      ? chart.data.datasets.reduce(
          (a: number, d: { data: unknown[] }) => a + d.data.filter((x) => x !== null).length,
          0,
        )
      : -1;
    return { points, width: canvas?.width ?? 0, height: canvas?.height ?? 0 };
  }, name);
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  const path = join(await artifactDir('dashboard-'), `bigbrotr-dashboard-${name}.png`);
  await page.screenshot({ path, fullPage });
  console.log(`dashboard screenshot: ${path}`);
}

describe('dashboard in chromium', () => {
  it('shows the overview, filters the relay table and opens a relay page on a desktop', async () => {
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    const { page, problems } = await open(context);
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-page="overview"]');
    await expect.poll(() => stat(page, 'relays-total').textContent()).toBe('6');
    expect(await stat(page, 'relays-online').textContent()).toBe('2');
    expect(await stat(page, 'relays-offline').textContent()).toBe('1');
    expect(await stat(page, 'relays-unchecked').textContent()).toBe('3');
    expect(await stat(page, 'events-total').textContent()).toBe('12');
    for (const name of ['networks', 'events-per-day', 'software', 'nips']) {
      const c = await chartInfo(page, name);
      expect(c.points, name).toBeGreaterThan(0);
      expect(c.width, name).toBeGreaterThan(100);
    }
    expect((await chartInfo(page, 'events-per-day')).points).toBe(30);
    await shot(page, 'desktop-overview');

    await page.click('nav a[href="#/relays"]');
    await page.waitForSelector('body[data-page="relays"]');
    await expect.poll(() => rows(page).count()).toBe(6);
    await page.fill('#relay-search', 'alpha');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-url')).toBe(ALPHA.url);
    expect(page.url()).toContain('q=alpha');
    await page.fill('#relay-search', '');
    await expect.poll(() => rows(page).count()).toBe(6);
    await page.selectOption('select[name="network"]', 'tor');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-url')).toBe(ONION.url);
    await page.selectOption('select[name="network"]', '');
    await page.selectOption('select[name="nip"]', '42');
    await expect.poll(() => rows(page).count()).toBe(1);
    await page.selectOption('select[name="nip"]', '');
    await page.selectOption('select[name="country"]', 'US');
    await expect.poll(async () => (await rows(page).first().getAttribute('data-url')) ?? '').toBe(BETA.url);
    await page.selectOption('select[name="country"]', '');
    await expect.poll(() => rows(page).count()).toBe(6);
    // relay-supplied names are text, never markup
    expect(await page.locator(`tr[data-url="${EVIL.url}"]`).textContent()).toContain(XSS_NAME);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
    await shot(page, 'desktop-relays');

    await page.click(`tr[data-url="${ALPHA.url}"] a.relay-link`);
    await page.waitForSelector('body[data-page="relay"]');
    expect(await page.locator('h1').textContent()).toBe('Alpha Relay');
    const nip11 = await page.locator('section', { hasText: 'NIP-11' }).textContent();
    expect(nip11).toContain('git+https://github.com/hoytech/strfry.git');
    expect(nip11).toContain('1, 11, 42');
    expect(nip11).toContain('1.0.4');
    expect(await page.locator('section', { hasText: 'TLS certificate' }).textContent()).toContain("Let's Encrypt");
    expect(await page.locator('section', { hasText: 'Location and network' }).textContent()).toContain('Berlin');
    expect(await stat(page, 'uptime-24h').textContent()).toMatch(/^\d+\.\d %$/);
    expect((await chartInfo(page, 'uptime')).points).toBeGreaterThanOrEqual(25);
    expect((await chartInfo(page, 'latency')).points).toBeGreaterThan(50);
    expect(await page.locator('tr.check-row').count()).toBe(50);
    await page.click('text=Older checks');
    await expect.poll(() => page.locator('tr.check-row').count()).toBe(53);
    await shot(page, 'desktop-relay');
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
    const { page, problems } = await open(context);
    const noOverflow = () =>
      page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        return g.document.documentElement.scrollWidth <= g.innerWidth + 1;
      });
    await page.goto(`${base}/#/`);
    await page.waitForSelector('body[data-page="overview"]');
    await expect.poll(() => stat(page, 'relays-total').textContent()).toBe('6');
    expect(await noOverflow()).toBe(true);
    expect((await chartInfo(page, 'events-per-day')).points).toBe(30);
    await shot(page, 'phone-overview', false);

    await page.goto(`${base}/#/relays?network=clearnet`);
    await page.waitForSelector('body[data-page="relays"]');
    await expect.poll(() => rows(page).count()).toBe(5);
    expect(await page.locator('table.relays thead').isVisible()).toBe(false);
    expect(await noOverflow()).toBe(true);
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
    expect(await noOverflow()).toBe(true);
    await shot(page, 'phone-relay', false);
    expect(problems).toEqual([]);
    await context.close();
  });
});
