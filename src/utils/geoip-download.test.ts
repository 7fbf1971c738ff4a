import { readFile, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir } from '../testing/artifacts.js';
import { refreshGeoDatabase } from './geoip-download.js';

let base = '';
let hits = 0;
const server = createServer((req, res) => {
  hits += 1;
  if (req.url === '/db') res.end('new database bytes');
  else res.writeHead(404).end();
});
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe('refreshGeoDatabase', () => {
  it('downloads a missing file, keeps a fresh one, replaces a stale one, keeps the old one on failure', async () => {
    const dir = await artifactDir('bb-geo-');
    const path = join(dir, 'City.mmdb');
    const opts = { url: `${base}/db`, path, maxAgeDays: 30, allowLocal: true };
    expect(await refreshGeoDatabase(opts)).toEqual({ outcome: 'downloaded' });
    expect(await readFile(path, 'utf8')).toBe('new database bytes');
    hits = 0;
    expect(await refreshGeoDatabase(opts)).toEqual({ outcome: 'fresh' });
    expect(hits).toBe(0);
    await writeFile(path, 'old');
    const old = new Date(Date.now() - 31 * 86_400_000);
    await utimes(path, old, old);
    expect(await refreshGeoDatabase(opts)).toEqual({ outcome: 'downloaded' });
    await utimes(path, old, old);
    expect(await refreshGeoDatabase({ ...opts, url: `${base}/missing` })).toEqual({
      outcome: 'failed',
      detail: 'HTTP 404',
    });
    expect(await readFile(path, 'utf8')).toBe('new database bytes');
    const tooBig = await refreshGeoDatabase({ ...opts, maxBytes: 4 });
    expect(tooBig.outcome).toBe('failed');
    expect(tooBig.detail).toMatch(/^too-large/);
  });
});
