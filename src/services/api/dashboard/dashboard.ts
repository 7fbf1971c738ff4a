/**
 * The web dashboard: static HTML, CSS and vanilla ES modules from the package's top-level
 * `web/` folder (no build step; found from both `src/` and `dist/`), Chart.js's UMD build from node_modules, all
 * served locally under a strict Content-Security-Policy — no CDN, no external URL.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Context, Hono } from 'hono';

/** Options of the dashboard. */
export interface DashboardOpts {
  /** Where the JSON API is mounted (e.g. `/v1`); the pages call `{apiPrefix}/stats` and friends. */
  readonly apiPrefix: string;
  /** The page title. */
  readonly title: string;
  /** The folder of the static files (default: the package's `web/`). */
  readonly dir?: string;
}

const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const ASSET = /^[a-z0-9][a-z0-9-]*\.(js|css|svg)$/;
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The package's `web/` folder: four levels up from this module in both `src/` and `dist/`. */
export function webDir(): string {
  return fileURLToPath(new URL('../../../../web/', import.meta.url));
}

/** Chart.js's UMD build (minified) in node_modules. */
export function chartJsFile(): string {
  return join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
}

/** The dashboard's name from the API's `title`: a trailing "API" dropped (`BigBrotr API` → `BigBrotr`). */
export function dashboardTitle(apiTitle: string): string {
  return apiTitle.replace(/\s*\bAPI\s*$/i, '').trim() || apiTitle;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Build the dashboard's routes: `/` (the page) and `/assets/*` (its files and Chart.js); mount at the root. */
export function dashboardRoutes(opts: DashboardOpts): Hono {
  const dir = opts.dir ?? webDir();
  const cache = new Map<string, Promise<Buffer>>();
  const load = (path: string): Promise<Buffer> => {
    let body = cache.get(path);
    if (!body) {
      body = readFile(path);
      cache.set(path, body);
      body.catch(() => cache.delete(path));
    }
    return body;
  };
  let assets: Promise<Set<string>> | undefined;
  const listAssets = (): Promise<Set<string>> => {
    assets ??= readdir(dir).then((names) => new Set(names.filter((n) => ASSET.test(n))));
    return assets;
  };
  let page: Promise<string> | undefined;
  const html = (): Promise<string> => {
    page ??= readFile(join(dir, 'index.html'), 'utf8').then((t) =>
      t.replaceAll('{{title}}', escapeHtml(opts.title)).replaceAll('{{apiPrefix}}', escapeHtml(opts.apiPrefix)),
    );
    return page;
  };

  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });
  app.get('/', async (c) => {
    c.header('Cache-Control', 'no-cache');
    return c.html(await html());
  });
  app.get('/assets/chart.umd.js', async (c) => send(c, await load(chartJsFile()), TYPES.js as string));
  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    // why: only plain names listed in the folder are served; nothing else reaches the file system
    if (!(await listAssets()).has(file)) return c.json({ error: { code: 'not_found', message: 'no such file' } }, 404);
    const type = TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    return send(c, await load(join(dir, file)), type);
  });
  return app;
}

function send(c: Context, body: Buffer, type: string): Response {
  return c.body(new Uint8Array(body), 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
}
