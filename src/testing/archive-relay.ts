/**
 * Tests of the archive's relay endpoint: start the API (with the insight routes, for REST comparisons) over a
 * test database, and read a REQ to its EOSE with nostr-tools, the client the endpoint must satisfy.
 */

import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import type postgres from 'postgres';
import WebSocket from 'ws';
import type { NostrEvent } from '../models/event.js';
import type { Filter } from '../nips/nip01/filter.js';
import { type ApiService, createApi } from '../services/api/api.js';
import { type ApiConfig, apiConfigSchema } from '../services/api/config.js';
import { insightRoutes } from '../services/api/insights/insights.js';
import type { RateLimitOpts } from '../services/api/rate-limit.js';
import { type RecordingDeps, recordingDeps } from './service-deps.js';

// why: Node 20 has no global WebSocket
useWebSocketImplementation(WebSocket);

/** A running API with its relay endpoint. */
export interface ArchiveApi extends AsyncDisposable {
  readonly api: ApiService;
  /** `ws://127.0.0.1:<port>/relay` */
  readonly relayUrl: string;
  readonly deps: RecordingDeps;
}

/** Start the API over `sql` exposing event and event_relay; `relay` overrides api.yaml `relay:` keys. */
export async function startArchiveApi(
  sql: postgres.Sql,
  relay: Record<string, unknown> = {},
  opts: { readonly rateLimit?: RateLimitOpts | false } = {},
): Promise<ArchiveApi> {
  const config: ApiConfig = {
    ...apiConfigSchema.parse({
      tables: { event: { enabled: true }, event_relay: { enabled: true }, relay: { enabled: true } },
      relay: { live_poll_interval: 0.1, ...relay },
    }),
    host: '127.0.0.1',
    port: 0,
  };
  const deps = recordingDeps(sql);
  const page = { maxPageSize: config.max_page_size, defaultPageSize: config.default_page_size };
  const api = await createApi({ ...deps, rateLimit: opts.rateLimit ?? false }, config, {
    version: '9.9.9',
    mount: (app) => void app.route(config.route_prefix, insightRoutes(deps, { ...page, tables: config.tables })),
  });
  const relayUrl = `${api.url.replace(/^http/, 'ws')}/relay`;
  return { api, relayUrl, deps, [Symbol.asyncDispose]: () => api.close() };
}

/** Connect nostr-tools to the endpoint. */
export function connectTools(url: string): Promise<Relay> {
  return Relay.connect(url, { enablePing: false, enableReconnect: false });
}

/** The events of a REQ up to EOSE (rejects on CLOSED). */
export function reqToEose(relay: Relay, filters: Filter[]): Promise<NostrEvent[]> {
  return new Promise((resolve, reject) => {
    const got: NostrEvent[] = [];
    const sub = relay.subscribe(filters as never, {
      onevent: (e) => void got.push(e as unknown as NostrEvent),
      oneose: () => {
        resolve(got);
        sub.close();
      },
      onclose: (reason) => reject(new Error(`CLOSED: ${reason}`)),
      eoseTimeout: 20_000,
    });
  });
}

/** NIP-01 order: newest first, ties by id ascending. */
export const nip01Order = (a: NostrEvent, b: NostrEvent): number =>
  b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
