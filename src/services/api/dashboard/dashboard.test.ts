import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartJsFile, dashboardRoutes, dashboardTitle, webDir } from './dashboard.js';

const app = dashboardRoutes({ apiPrefix: '/v1', title: 'Big <Brotr> & "co"' });

describe('dashboard routes', () => {
  it('finds its static files and Chart.js from the source tree (and the same path works from dist)', () => {
    expect(existsSync(join(webDir(), 'index.html'))).toBe(true);
    expect(existsSync(chartJsFile())).toBe(true);
  });

  it('serves the page with the title escaped, the API prefix, and a CSP that allows only this origin', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<title>Big &#60;Brotr&#62; &#38; &#34;co&#34;</title>');
    expect(html).toContain('<meta name="bigbrotr-api" content="/v1">');
    expect(html).not.toMatch(/\{\{|https?:\/\//);
  });

  it('serves its modules, its stylesheet and Chart.js with their content types', async () => {
    for (const file of [
      'app.js',
      'api.js',
      'dom.js',
      'charts.js',
      'overview.js',
      'pipeline.js',
      'relays.js',
      'relay.js',
    ]) {
      const res = await app.request(`/assets/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await res.text()).not.toMatch(/https?:\/\/(?!github\.com\/hoytech)/);
    }
    const css = await app.request('/assets/style.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const chart = await app.request('/assets/chart.umd.js');
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('Chart');
  });

  it('is titled after the API without its "API" suffix', () => {
    expect(dashboardTitle('BigBrotr API')).toBe('BigBrotr');
    expect(dashboardTitle('My archive api ')).toBe('My archive');
    expect(dashboardTitle('Rapid')).toBe('Rapid');
    expect(dashboardTitle('API')).toBe('API');
  });

  it.each([
    '/assets/index.html',
    '/assets/..%2Fpackage.json',
    '/assets/%2e%2e%2fpackage.json',
    '/assets/nothing.js',
    '/assets/.hidden.js',
  ])('serves nothing else: %s → 404', async (path) => {
    const res = await app.request(path);
    expect(res.status).toBe(404);
  });
});
