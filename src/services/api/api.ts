/**
 * The API service: an HTTP server around the app, and a cycle that reloads the catalog so
 * views created after start appear (and dropped ones disappear) and `tables_exposed` stays current.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Service } from '../../core/runner.js';
import { type ApiAppExtra, type ApiDeps, createApiApp } from './app.js';
import { createCatalogSource } from './catalog-source.js';
import type { ApiConfig } from './config.js';
import type { ApiHono } from './http.js';
import { createRelayEndpoint } from './relay/endpoint.js';
import { mountRelayInfo } from './relay/info.js';

/** The running API: a service whose cycle reloads the catalog, its address, and a way to stop it. */
export interface ApiService extends Service {
  /** `http://host:port` it listens on (the loopback address when bound to every interface). */
  readonly url: string;
  readonly app: ApiHono;
  close(): Promise<void>;
}

/** Load the catalog, build the app and start listening on `config.host:config.port` (0 picks a free port). */
export async function createApi(
  deps: ApiDeps,
  config: ApiConfig,
  extra: Omit<ApiAppExtra, 'catalog'> = {},
): Promise<ApiService> {
  const log = deps.logger;
  const catalog = createCatalogSource(deps, config.tables);
  try {
    await catalog.reload();
  } catch (err) {
    // why: the API starts anyway and answers 503 until the database is back; each request retries the load
    log.warn('catalog_load_failed', { detail: err instanceof Error ? err.message : String(err) });
  }
  const relay = config.relay.enabled ? createRelayEndpoint(deps, config, () => catalog.current()) : undefined;
  const mount: ApiAppExtra['mount'] = (app, ctx) => {
    if (relay) mountRelayInfo(app, config, { catalog: ctx.catalog, version: extra.version ?? 'unknown' });
    extra.mount?.(app, ctx);
  };
  const app = createApiApp(deps, config, { ...extra, catalog, mount });
  // why: overriding the global Request/Response would change them for every other module of the process
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  server.on('upgrade', (req, socket, head) => {
    if (!relay?.upgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  await listen(server, config.port, config.host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(config.host)}:${port}`;
  log.info('api_listening', { url, tables: catalog.current().tables.size });
  return {
    name: 'api',
    url,
    app,
    async cycle() {
      const c = await catalog.reload();
      return { tables: c.tables.size };
    },
    close: async () => {
      await relay?.close();
      await close(server);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    // why: keep-alive clients would hold close() open; in-flight answers have had their chance by now
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
