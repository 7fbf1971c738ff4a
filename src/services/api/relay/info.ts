/**
 * The relay endpoint's NIP-11 document, served at GET /relay with `Accept: application/nostr+json`, and what
 * the endpoint can serve of the archive: events need the `event` table in the API's allow-list, and full events
 * need tags, content and signatures (not kept by lilbrotr, whose `sig` column is nullable).
 */
import type { Catalog } from '../../../core/tables/catalog.js';
import type { ApiConfig } from '../config.js';
import type { ApiHono } from '../http.js';

/** What the archive lets the endpoint serve. */
export interface Servable {
  /** The `event` table is exposed. */
  readonly events: boolean;
  /** Tags, content and signatures are stored (bigbrotr), so REQ can return valid events. */
  readonly fullEvents: boolean;
  /** The `event_relay` table is exposed: provenance through the REST API. */
  readonly provenance: boolean;
}

/** Read the catalog. */
export function servable(catalog: Catalog): Servable {
  const event = catalog.tables.get('event');
  const sig = event?.columns.find((c) => c.name === 'sig');
  return {
    events: event !== undefined,
    fullEvents: sig !== undefined && !sig.nullable,
    provenance: catalog.tables.has('event_relay'),
  };
}

/** The NIP-11 document. */
export function relayInfo(config: ApiConfig, s: Servable, version: string): Record<string, unknown> {
  const r = config.relay;
  const kept = s.fullEvents
    ? 'full events (tags, content, signatures)'
    : 'ids, authors, kinds, timestamps and tag values only: no tags, content or signatures are kept, so REQ is refused and COUNT and NEG-OPEN are served';
  return {
    name: `${config.title} relay`,
    description: `A read-only Nostr relay over the BigBrotr archive. Stored: ${kept}. NIP-50 search is not served.`,
    software: 'bigbrotr',
    version,
    supported_nips: [1, 11, 45, 77],
    limitation: {
      max_message_length: r.max_message_length,
      max_subscriptions: r.max_subscriptions,
      max_filters: r.max_filters,
      max_limit: r.max_limit,
      default_limit: r.max_limit,
      auth_required: false,
      payment_required: false,
      restricted_writes: true,
    },
    retention: [],
    bigbrotr: {
      content_kept: s.fullEvents,
      search: false,
      negentropy_max_records: r.negentropy_max_records,
      // where a client asks which relays served an event (never inside the event)
      provenance: s.provenance ? `${config.route_prefix}/event_relay?event_id={id}` : null,
    },
  };
}

/** Mount GET /relay: the NIP-11 document for `Accept: application/nostr+json`, a short text otherwise. */
export function mountRelayInfo(
  app: ApiHono,
  config: ApiConfig,
  o: { readonly catalog: () => Catalog; readonly version: string },
): void {
  app.get('/relay', (c) => {
    const s = servable(o.catalog());
    if (!s.events) return c.text('the relay endpoint needs the event table, which this API does not expose\n', 404);
    if (c.req.header('accept')?.includes('application/nostr+json')) {
      c.header('access-control-allow-origin', '*');
      c.header('content-type', 'application/nostr+json');
      return c.body(JSON.stringify(relayInfo(config, s, o.version)));
    }
    return c.text('A read-only Nostr relay over this archive: connect a Nostr client to this URL (ws://…/relay).\n');
  });
}
