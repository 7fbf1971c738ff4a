/**
 * What the dashboard's browser test measures in the page (Chromium through playwright-core): script errors and
 * stray requests, sideways scrolling, tables wider than their box, the labels a chart draws, a chart's points.
 */
import type { BrowserContext, Page } from 'playwright-core';

/** A page that records script errors, failed requests and CSP violations. */
export async function open(context: BrowserContext, base: string): Promise<{ page: Page; problems: string[] }> {
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

/** What the page-side functions use of the browser's globals (the test compiles without the DOM library). */
export interface PageGlobals {
  document: {
    querySelector(selector: string): { width: number; height: number } | null;
    querySelectorAll(selector: string): Iterable<Box>;
    scrollingElement: { scrollWidth: number };
  };
  innerWidth: number;
  Chart: {
    getChart(canvas: unknown):
      | {
          data: { labels: string[]; datasets: { data: unknown[] }[] };
          scales: Record<string, { ticks: { label: string | string[] }[] }>;
        }
      | undefined;
  };
  __xss?: number;
}
interface Box {
  scrollWidth: number;
  clientWidth: number;
  parentElement: Box | null;
  dataset: Record<string, string>;
  getBoundingClientRect(): { right: number };
}

/** The page does not scroll sideways: nothing is wider than the viewport (wide tables scroll in their box). */
export async function noOverflow(page: Page): Promise<{ page: number; width: number }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    return { page: g.document.scrollingElement.scrollWidth, width: g.innerWidth };
  });
}

/** Tables wider than their box, so cut off or scrolled inside it (named by their `data-table`). */
export async function clippedTables(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const out: string[] = [];
    for (const t of g.document.querySelectorAll('table')) {
      const box = t.parentElement;
      if (box && t.scrollWidth > box.clientWidth + 1) out.push(t.dataset.table ?? 'table');
    }
    return out;
  });
}

/** The category labels of a chart and the tick labels its axis actually draws. */
export async function chartLabels(
  page: Page,
  name: string,
  axis: string,
): Promise<{ labels: string[]; drawn: string[] }> {
  return page.evaluate(
    ([n, a]) => {
      const g = globalThis as unknown as PageGlobals;
      const chart = g.Chart.getChart(g.document.querySelector(`canvas[data-chart="${n}"]`));
      return {
        labels: chart?.data.labels ?? [],
        drawn: (chart?.scales[a as string]?.ticks ?? []).map((t) => String(t.label)),
      };
    },
    [name, axis],
  );
}

/** Number of data points of the Chart.js chart drawn in `[data-chart=name]`, and the canvas's size. */
export async function chartInfo(page: Page, name: string): Promise<{ points: number; width: number; height: number }> {
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
