/**
 * The archive as a read-only Nostr relay at `ws://<api>/relay` (docs/relay.md): WebSocket upgrades of the API's
 * HTTP server, a bounded number of connections per client address, the API's rate limit applied per message,
 * and one live feed shared by every connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Catalog } from '../../../core/tables/catalog.js';
import type { ApiDeps } from '../app.js';
import type { ApiConfig } from '../config.js';
import { createRateLimiter, DEFAULT_RATE_LIMIT } from '../rate-limit.js';
import { servable } from './info.js';
import { createLiveFeed, type LiveFeed } from './live.js';
import { startRelaySession } from './session.js';

/** The running endpoint. */
export interface RelayEndpoint {
  /** Handle an HTTP upgrade; false when the path is not the relay's (the caller answers). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Open connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/** The path of the endpoint. */
export const RELAY_PATH = '/relay';

/** Build the endpoint (it polls for live events only once a client connects). */
export function createRelayEndpoint(deps: ApiDeps, config: ApiConfig, catalog: () => Catalog): RelayEndpoint {
  const r = config.relay;
  const log = deps.logger.child({ component: 'relay' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: r.max_message_length, perMessageDeflate: false });
  const limitOpts = deps.rateLimit === undefined ? DEFAULT_RATE_LIMIT : deps.rateLimit;
  const limiter = limitOpts === false ? undefined : createRateLimiter(limitOpts);
  const perAddress = new Map<string, number>();
  let live: LiveFeed | undefined;
  const limits = {
    maxLimit: r.max_limit,
    maxSubscriptions: r.max_subscriptions,
    maxFilters: r.max_filters,
    negentropyMaxRecords: r.negentropy_max_records,
    countTimeoutMs: r.count_timeout * 1000,
    queryTimeoutMs: config.request_timeout * 1000,
    maxBufferedBytes: r.max_buffered_bytes,
    slowClientTimeoutMs: r.slow_client_timeout * 1000,
  };

  const refuse = (socket: Duplex, status: string, why: string): true => {
    deps.metrics.inc('relay_connections_refused');
    log.info('relay_connection_refused', { status, why });
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
    return true;
  };

  function addressOf(req: IncomingMessage): string {
    if (limitOpts !== false && limitOpts.trustProxy) {
      const forwarded = String(req.headers['x-forwarded-for'] ?? '')
        .split(',')
        .at(-1)
        ?.trim();
      if (forwarded) return forwarded;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  return {
    get connections() {
      return wss.clients.size;
    },
    upgrade(req, socket, head) {
      if (new URL(req.url ?? '/', 'http://x').pathname !== RELAY_PATH) return false;
      const s = servable(catalog());
      if (!s.events) return refuse(socket, '404 Not Found', 'the API does not expose the event table');
      const address = addressOf(req);
      const open = perAddress.get(address) ?? 0;
      if (open >= r.max_connections_per_address) {
        return refuse(socket, '429 Too Many Requests', `at most ${r.max_connections_per_address} connections`);
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
        deps.metrics.inc('relay_connections');
        live ??= createLiveFeed({
          sql: deps.sql,
          logger: log,
          metrics: deps.metrics,
          intervalMs: r.live_poll_interval * 1000,
          lagSec: r.live_lag,
        });
        ws.once('close', () => {
          const n = (perAddress.get(address) ?? 1) - 1;
          if (n <= 0) perAddress.delete(address);
          else perAddress.set(address, n);
        });
        const take = () => limiter?.take(address) ?? { ok: true as const };
        startRelaySession(
          { sql: deps.sql, logger: log, metrics: deps.metrics, limits, fullEvents: s.fullEvents, live, take },
          ws,
          address,
        );
      });
      return true;
    },
    async close() {
      live?.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
