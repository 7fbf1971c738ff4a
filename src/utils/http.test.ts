import http from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRedirect, fetchBounded } from './http.js';
import type { Resolver } from './net/resolve.js';

const servers: http.Server[] = [];

async function serve(handler: http.RequestListener): Promise<{ port: number; base: string }> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, base: `http://127.0.0.1:${port}` };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const local = { allowLocal: true, maxBytes: 1024, timeoutMs: 5000 };
const loopbackResolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

describe('fetchBounded', () => {
  it('returns status, lower-case headers, body and final url, sending Accept', async () => {
    const { base } = await serve((req, res) => {
      res.setHeader('X-Seen-Accept', req.headers.accept ?? '');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end('hello');
    });
    const r = await fetchBounded(`${base}/x`, { ...local, accept: 'application/nostr+json' });
    if (!r.ok) throw new Error(`failed: ${r.reason}`);
    expect(r.value.status).toBe(200);
    expect(r.value.body.toString()).toBe('hello');
    expect(r.value.url).toBe(`${base}/x`);
    expect(r.value.headers['x-seen-accept']).toBe('application/nostr+json');
    expect(r.value.headers['set-cookie']).toBe('a=1, b=2');
  });

  it('returns a non-2xx status as a response', async () => {
    const { base } = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('nope');
    });
    const r = await fetchBounded(base, local);
    expect(r.ok && r.value.status).toBe(404);
  });

  it('stops a huge streamed body with too-large without reading it all', async () => {
    const total = 10 * 1024 * 1024;
    let sent = 0;
    let onClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => {
      onClosed = resolve;
    });
    const { base } = await serve((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = (): void => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', onClosed);
      pump();
    });
    const r = await fetchBounded(base, { ...local, maxBytes: 65_536 });
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    await closed;
    expect(sent).toBeLessThan(total);
  });

  it('refuses a declared Content-Length above the bound before the body arrives', async () => {
    const { base } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write('x'); // then hang: only the header can end this quickly
    });
    const started = Date.now();
    const r = await fetchBounded(base, local);
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('follows a redirect chain within the limit, resolving relative locations', async () => {
    const { base } = await serve((req, res) => {
      const n = Number(req.url?.slice(1));
      if (n > 0) res.writeHead(n % 2 ? 302 : 308, { location: `/${n - 1}` }).end();
      else res.end('final');
    });
    const r = await fetchBounded(`${base}/3`, local);
    if (!r.ok) throw new Error(`failed: ${r.reason}`);
    expect(r.value.body.toString()).toBe('final');
    expect(r.value.url).toBe(`${base}/0`);
  });

  it('fails with http past maxRedirects', async () => {
    const { base } = await serve((req, res) => {
      const n = Number(req.url?.slice(1));
      if (n > 0) res.writeHead(301, { location: `${base}/${n - 1}` }).end();
      else res.end('final');
    });
    expect(await fetchBounded(`${base}/4`, local)).toMatchObject({ ok: false, reason: 'http' });
    expect(await fetchBounded(`${base}/2`, { ...local, maxRedirects: 1 })).toMatchObject({ ok: false, reason: 'http' });
  });

  it('fails with http on a redirect loop', async () => {
    let hits = 0;
    const { base } = await serve((_req, res) => {
      hits++;
      res.writeHead(307, { location: '/loop' }).end();
    });
    expect(await fetchBounded(`${base}/loop`, local)).toMatchObject({ ok: false, reason: 'http' });
    expect(hits).toBe(4);
  });

  it('fails with http on a redirect to another scheme', async () => {
    const { base } = await serve((_req, res) => res.writeHead(302, { location: 'ftp://127.0.0.1/' }).end());
    expect(await fetchBounded(base, local)).toMatchObject({ ok: false, reason: 'http' });
  });

  it('refuses a local IP literal without allowLocal, before connecting', async () => {
    let hits = 0;
    const { base } = await serve((_req, res) => {
      hits++;
      res.end();
    });
    expect(await fetchBounded(base, { maxBytes: 10 })).toMatchObject({ ok: false, reason: 'refused' });
    expect(hits).toBe(0);
  });

  it('refuses a name resolving to a local address unless allowLocal', async () => {
    const { port } = await serve((req, res) => res.end(req.headers.host));
    const url = `http://relay.test:${port}/`;
    const refused = await fetchBounded(url, { maxBytes: 100, resolver: loopbackResolver });
    expect(refused).toMatchObject({ ok: false, reason: 'refused' });
    const allowed = await fetchBounded(url, { maxBytes: 100, resolver: loopbackResolver, allowLocal: true });
    expect(allowed.ok && allowed.value.body.toString()).toBe(`relay.test:${port}`);
  });

  it('ends a slowloris response with timeout at the deadline', async () => {
    const { base } = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 500);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const r = await fetchBounded(base, { ...local, timeoutMs: 1500 });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('ends with timeout when the caller aborts', async () => {
    const { base } = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const r = await fetchBounded(base, { ...local, signal: controller.signal });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('maps a closed port to refused', async () => {
    const { port } = await serve(() => undefined);
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    expect(await fetchBounded(`http://127.0.0.1:${port}/`, local)).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('maps a name that does not resolve to dns', async () => {
    const resolver: Resolver = async (host) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    const r = await fetchBounded('http://nowhere.test/', { maxBytes: 10, resolver });
    expect(r).toMatchObject({ ok: false, reason: 'dns' });
  });

  it('maps a TLS handshake against a plain HTTP server to tls', async () => {
    const { port } = await serve((_req, res) => res.end());
    const r = await fetchBounded(`https://127.0.0.1:${port}/`, { ...local, insecure: true });
    expect(r).toMatchObject({ ok: false, reason: 'tls' });
  });

  it('uses a given agent for every request', async () => {
    const { base } = await serve((req, res) => {
      if (req.url === '/a') res.writeHead(302, { location: '/b' }).end();
      else res.end('b');
    });
    let connections = 0;
    const agent = new http.Agent();
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof create>) => {
      connections++;
      return create(...args);
    };
    const r = await fetchBounded(`${base}/a`, { ...local, agent });
    agent.destroy();
    expect(r.ok && r.value.body.toString()).toBe('b');
    expect(connections).toBe(2);
  });
});

describe('fetchBounded connect timeout', () => {
  it('fails as timeout when the TLS handshake never completes, well before the overall deadline', async () => {
    const silent = createTcpServer(() => undefined); // accepts TCP, never speaks TLS
    silent.listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    try {
      const url = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const started = Date.now();
      const r = await fetchBounded(url, { ...local, timeoutMs: 10_000, connectTimeoutMs: 300 });
      expect(r).toMatchObject({ ok: false, reason: 'timeout' });
      expect(r.ok ? '' : r.detail).toMatch(/no connection/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });
});

describe('checkRedirect', () => {
  const from = new URL('https://relay.example.com/a/b');

  it('resolves a relative location against the current url', () => {
    const r = checkRedirect(from, '../c?d=1', {});
    expect(r.ok && r.value.href).toBe('https://relay.example.com/c?d=1');
  });

  it.each(['http://127.0.0.1/', 'http://10.0.0.1/', 'http://[::1]/', 'http://localhost:8080/', 'http://0x7f.1/'])(
    'refuses the local target %s unless allowLocal',
    (location) => {
      expect(checkRedirect(from, location, {})).toMatchObject({ ok: false, reason: 'refused' });
      expect(checkRedirect(from, location, { allowLocal: true }).ok).toBe(true);
    },
  );

  it('permits a public address and refuses other schemes', () => {
    expect(checkRedirect(from, 'http://8.8.8.8/', {}).ok).toBe(true);
    expect(checkRedirect(from, 'ftp://relay.example.com/', { allowLocal: true })).toMatchObject({ reason: 'http' });
    expect(checkRedirect(from, 'http://[bad', {})).toMatchObject({ ok: false, reason: 'http' });
  });
});
