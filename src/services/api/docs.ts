/**
 * Interactive API docs at `/docs`: Swagger UI from the installed swagger-ui-dist package (served locally,
 * never from a CDN), pointed at the generated OpenAPI document.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Env, Hono } from 'hono';

/** The files of swagger-ui-dist the page uses, with their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** The directory of the installed swagger-ui-dist. */
export function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function page(title: string): string {
  const css = ['swagger-ui.css', 'index.css'].map((f) => `<link rel="stylesheet" href="/docs/${f}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} — docs</title>
${css}
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;
}

function initScript(openapiUrl: string): string {
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openapiUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;
}

/** Register `/docs`, `/docs/init.js` and the Swagger UI assets. Files are read once, on first use. */
export function mountDocs<E extends Env>(app: Hono<E>, o: { title: string; openapiUrl: string; dir?: string }): void {
  const dir = o.dir ?? swaggerUiDir();
  const cache = new Map<string, Promise<Buffer>>();
  const html = page(o.title);
  const init = initScript(o.openapiUrl);
  app.get('/docs', (c) => c.html(html));
  app.get('/docs/', (c) => c.redirect('/docs'));
  app.get('/docs/init.js', (c) => c.body(init, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/:file', async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    // why: only the listed files are served; a name never reaches the file system otherwise
    if (!type || !Object.hasOwn(ASSETS, file))
      return c.json({ error: { code: 'not_found', message: 'no such file' } }, 404);
    let body = cache.get(file);
    if (!body) {
      body = readFile(join(dir, file));
      cache.set(file, body);
      void body.catch(() => cache.delete(file));
    }
    return c.body(new Uint8Array(await body), 200, {
      'Content-Type': type,
      'Cache-Control': 'public, max-age=86400',
    });
  });
}
