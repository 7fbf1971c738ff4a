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
import type { Relay } from '../../../models/relay.js';
import { artifactDir } from '../../../testing/artifacts.js';
import { recordingLogger } from '../../../testing/service-deps.js';
import {
  ALPHA,
  ALPHA_NIPS,
  BETA,
  EVIL,
  NIP_COUNT,
  ONION,
  QUIET,
  seedDashboard,
  XSS_NAME,
} from '../../../testing/vitest/dashboard-seed.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { everyInsightTable, insightRoutes } from '../insights/insights.js';
import { dashboardRoutes, dashboardTitle } from './dashboard.js';
import { chartInfo, chartLabels, clippedTables, noOverflow, open, type PageGlobals } from './page-probes.js';

const CHROMIUM = process.env.BIGBROTR_CHROMIUM ?? '/usr/bin/chromium';
const db = useTestDatabase('bigbrotr');

let base = '';
let browser: Browser | undefined;
let closeServer = async (): Promise<void> => {};

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set BIGBROTR_CHROMIUM to its path`,
    );
  const [launched] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    seedDashboard(db.sql),
  ]);
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
