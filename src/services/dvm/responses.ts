/**
 * The events the DVM publishes: its NIP-89 handler announcement (kind 31990), NIP-90 job feedback (kind 7000)
 * and job results (request kind + 1000). Templates only; the caller signs them.
 */

import type { Catalog } from '../../core/tables/catalog.js';
import type { TablePage } from '../../core/tables/query.js';
import type { NostrEvent } from '../../models/event.js';
import type { Refusal } from '../../models/result.js';
import type { EventTemplate } from '../../nips/signer.js';

/** NIP-89 handler information. */
export const ANNOUNCEMENT_KIND = 31990;
/** NIP-90 job feedback. */
export const FEEDBACK_KIND = 7000;

/** What the announcement says about the service. */
export interface AnnouncementInfo {
  readonly name: string;
  readonly about: string;
  readonly dTag: string;
  readonly kind: number;
}

/** The NIP-89 announcement: the request kind it handles and, in its content, the tables with their prices. */
export function buildAnnouncement(info: AnnouncementInfo, catalog: Catalog, now: number): EventTemplate {
  const tables = Object.fromEntries(
    [...catalog.tables.values()].map((t) => [
      t.name,
      { price: t.price, primary_key: t.primaryKey, columns: t.columns.map((c) => ({ name: c.name, type: c.type })) },
    ]),
  );
  return {
    kind: ANNOUNCEMENT_KIND,
    created_at: now,
    tags: [
      ['d', info.dTag],
      ['k', String(info.kind)],
    ],
    content: JSON.stringify({ name: info.name, about: info.about, tables }),
  };
}

/** The tags that tie a response to its request (NIP-90 `e` and `p`). */
function jobTags(request: NostrEvent): string[][] {
  return [
    ['e', request.id],
    ['p', request.pubkey],
  ];
}

/** Kind 7000 `error` feedback; the content repeats the error as JSON for programs. */
export function buildErrorFeedback(request: NostrEvent, error: Refusal, now: number): EventTemplate {
  return {
    kind: FEEDBACK_KIND,
    created_at: now,
    tags: [['status', 'error', error.message], ...jobTags(request)],
    content: JSON.stringify({ error: { code: error.code, message: error.message } }),
  };
}

/** Kind 7000 `payment-required` feedback with the price in millisats. */
export function buildPaymentRequired(request: NostrEvent, table: string, price: number, now: number): EventTemplate {
  const message = `table ${table} costs ${price} millisats; bid at least that much`;
  return {
    kind: FEEDBACK_KIND,
    created_at: now,
    tags: [['status', 'payment-required', message], ['amount', String(price)], ...jobTags(request)],
    content: JSON.stringify({ error: { code: 'payment_required', message } }),
  };
}

/**
 * The job result (kind request + 1000): content `{"data":[...],"meta":{...}}`, the stringified request, and
 * `amount` for priced tables. Relays refuse large events, so rows are dropped from the end until the whole
 * signed event, serialized, fits `maxBytes`; then `meta.truncated` is true and `data.length` says how many
 * rows came back (page on with `offset`).
 */
export function buildResult(
  request: NostrEvent,
  page: TablePage,
  price: number,
  opts: { now: number; maxBytes: number },
): EventTemplate {
  const tags = [['request', JSON.stringify(request)], ...jobTags(request)];
  if (price > 0) tags.push(['amount', String(price)]);
  const template = { kind: request.kind + 1000, created_at: opts.now, tags, content: '' };
  return { ...template, content: fitContent(page, opts.maxBytes - serializedSize(template)) };
}

// The size of the signed event with this template, content excluded, plus the ["EVENT", …] envelope.
function serializedSize(template: EventTemplate): number {
  const hex = (n: number) => '0'.repeat(n);
  const signed = { ...template, id: hex(64), pubkey: hex(64), sig: hex(128) };
  return Buffer.byteLength(JSON.stringify(['EVENT', signed]));
}

// Bytes a string adds inside an event once JSON-escaped (quotes excluded).
const escapedSize = (text: string): number => Buffer.byteLength(JSON.stringify(text)) - 2;

function fitContent(page: TablePage, budget: number): string {
  const full = JSON.stringify({ data: page.data, meta: page.meta });
  if (escapedSize(full) <= budget) return full;
  const meta = JSON.stringify({ ...page.meta, truncated: true });
  let left = budget - escapedSize(`{"data":[],"meta":${meta}}`);
  const rows: string[] = [];
  for (const row of page.data) {
    const text = JSON.stringify(row);
    const cost = escapedSize(text) + (rows.length > 0 ? 1 : 0);
    if (cost > left) break;
    left -= cost;
    rows.push(text);
  }
  return `{"data":[${rows.join(',')}],"meta":${meta}}`;
}
