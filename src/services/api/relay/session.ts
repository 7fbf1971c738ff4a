/**
 * One client connection to the archive's relay endpoint: NIP-01 REQ/CLOSE/EOSE (stored events streamed from
 * PostgreSQL, then live ones), NIP-45 COUNT, NIP-77 NEG-*, every write refused. Queries of a connection run one
 * at a time; CLOSE and NEG-CLOSE act at once. A client reading slower than it asks cannot grow the server's
 * memory: the stored stream pauses while more than `maxBufferedBytes` wait on the socket and the connection is
 * dropped when they do not drain within `slowClientTimeoutMs` (or when a live event finds the buffer full).
 */

import type postgres from 'postgres';
import type WebSocket from 'ws';
import type { Logger } from '../../../core/logger.js';
import type { ServiceMetrics } from '../../../core/metrics.js';
import type { Filter } from '../../../nips/nip01/filter.js';
import { type ClientMessage, parseClientMessage } from '../../../nips/nip01/messages.js';
import { createNegSessions } from '../../../nips/nip77/sessions.js';
import type { Take } from '../rate-limit.js';
import { countFilters } from './count.js';
import type { LiveFeed, LiveSub } from './live.js';
import { negentropyItems, reqQuery } from './sql.js';

/** The limits a session enforces (api.yaml `relay:`). */
export interface SessionLimits {
  readonly maxLimit: number;
  readonly maxSubscriptions: number;
  readonly maxFilters: number;
  readonly negentropyMaxRecords: number;
  readonly countTimeoutMs: number;
  /** statement_timeout of a REQ's stored query. */
  readonly queryTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly slowClientTimeoutMs: number;
}

/** What a session needs from its endpoint. */
export interface SessionContext {
  readonly sql: postgres.Sql;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly limits: SessionLimits;
  /** Whether the archive keeps tags, content and signatures (false in lilbrotr: REQ cannot be served). */
  readonly fullEvents: boolean;
  readonly live: LiveFeed;
  /** One token of the client address's rate limit. */
  take(): Take;
}

const MAX_PENDING = 64;
const ROWS_PER_FETCH = 200;
const LILBROTR =
  'blocked: this archive keeps no tags, content or signatures; COUNT and NEG-OPEN are served, events are not';

/** Serve one WebSocket until it closes. */
export function startRelaySession(ctx: SessionContext, ws: WebSocket, address: string): void {
  const log = ctx.logger.child({ client: address });
  const subs = new Map<string, LiveSub>();
  let pending = 0;
  let chain: Promise<void> = Promise.resolve();
  let gone = false;

  const sendText = (text: string): void => {
    if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const send = (msg: readonly unknown[]): void => sendText(JSON.stringify(msg));
  const negs = createNegSessions(send);
  const drop = (why: string): void => {
    if (gone) return;
    gone = true;
    ctx.metrics.inc('relay_clients_too_slow');
    log.warn('relay_client_too_slow', { why, buffered: ws.bufferedAmount });
    ws.terminate();
  };

  ws.on('message', (data, isBinary) => {
    const text = isBinary ? undefined : String(data);
    const parsed = text === undefined ? undefined : parseClientMessage(text, { ignoreLongTagKeys: true });
    if (!parsed?.ok) return refuseInvalid(text, parsed?.detail ?? 'binary frame');
    const msg = parsed.value;
    if (msg.type === 'CLOSE') return void closeSub(msg.subId);
    if (msg.type === 'NEG-CLOSE') return void negs.close(msg.subId);
    if (pending >= MAX_PENDING) {
      ctx.metrics.inc('relay_messages_refused');
      return send(['NOTICE', `rate-limited: more than ${MAX_PENDING} messages waiting; slow down`]);
    }
    pending += 1;
    chain = chain
      .then(() => handle(msg))
      .catch((err: unknown) => {
        ctx.metrics.inc('relay_errors');
        log.warn('relay_message_failed', { type: msg.type, detail: err instanceof Error ? err.message : String(err) });
        const subId = 'subId' in msg ? msg.subId : undefined;
        if (subId === undefined) return;
        if (msg.type === 'NEG-OPEN' || msg.type === 'NEG-MSG') send(['NEG-ERR', subId, 'error: the archive failed']);
        else send(['CLOSED', subId, 'error: the archive could not answer; retry later']);
        closeSub(subId);
      })
      .finally(() => {
        pending -= 1;
      });
  });
  ws.on('close', () => {
    gone = true;
    for (const sub of subs.values()) ctx.live.remove(sub);
    subs.clear();
    negs.clear();
  });

  function closeSub(subId: string): void {
    const sub = subs.get(subId);
    if (sub) ctx.live.remove(sub);
    subs.delete(subId);
  }

  /** A malformed message: CLOSED/NEG-ERR when its subscription id can be read, else NOTICE. */
  function refuseInvalid(text: string | undefined, detail: string): void {
    ctx.metrics.inc('relay_messages_invalid');
    let arr: unknown;
    try {
      arr = text === undefined ? undefined : JSON.parse(text);
    } catch {}
    const [type, subId] = Array.isArray(arr) ? arr : [];
    const reason = `invalid: ${detail}`;
    if (typeof subId === 'string' && subId.length > 0 && subId.length <= 256) {
      if (type === 'REQ' || type === 'COUNT') return void send(['CLOSED', subId, reason]);
      if (type === 'NEG-OPEN' || type === 'NEG-MSG') return void send(['NEG-ERR', subId, reason]);
    }
    send(['NOTICE', reason]);
  }

  /** Why a REQ/COUNT/NEG-OPEN is refused before any query, or undefined. */
  function refusal(subId: string, filters: readonly Filter[], opens: boolean): string | undefined {
    const take = ctx.take();
    if (!take.ok) return `rate-limited: too many requests; retry in ${take.retryAfterSec} s`;
    if (filters.length > ctx.limits.maxFilters) return `blocked: at most ${ctx.limits.maxFilters} filters per request`;
    if (filters.some((f) => f.search !== undefined)) return 'unsupported: NIP-50 search is not served by this archive';
    const open = subs.size + negs.size - (subs.has(subId) || negs.has(subId) ? 1 : 0);
    if (opens && open >= ctx.limits.maxSubscriptions)
      return `blocked: at most ${ctx.limits.maxSubscriptions} open subscriptions per connection`;
    return undefined;
  }

  async function handle(msg: ClientMessage): Promise<void> {
    if (gone) return;
    switch (msg.type) {
      case 'EVENT':
        ctx.metrics.inc('relay_events_refused');
        return send(['OK', msg.event.id, false, 'blocked: read-only archive']);
      case 'AUTH':
        return send(['OK', msg.event.id, false, 'blocked: this relay does not use AUTH (NIP-42)']);
      case 'REQ':
        return onReq(msg.subId, msg.filters);
      case 'COUNT':
        return onCount(msg.subId, msg.filters);
      case 'NEG-OPEN':
        return onNegOpen(msg.subId, msg.filter, msg.message);
      case 'NEG-MSG':
        return negs.message(msg.subId, msg.message);
      default:
        return;
    }
  }

  function refused(subId: string, why: string, neg = false): void {
    ctx.metrics.inc('relay_requests_refused');
    log.debug('relay_request_refused', { subId, why });
    send([neg ? 'NEG-ERR' : 'CLOSED', subId, why]);
  }

  async function onReq(subId: string, filters: readonly Filter[]): Promise<void> {
    closeSub(subId);
    const why = refusal(subId, filters, true) ?? (ctx.fullEvents ? undefined : LILBROTR);
    if (why) return refused(subId, why);
    ctx.metrics.inc('relay_requests');
    const prefix = `["EVENT",${JSON.stringify(subId)},`;
    const sub: LiveSub = {
      filters,
      deliver: (json) => {
        if (ws.bufferedAmount > ctx.limits.maxBufferedBytes) return drop('live events not read');
        sendText(`${prefix}${json}]`);
      },
    };
    // why: live before the stored query, so no event archived while it runs falls between the two
    subs.set(subId, sub);
    ctx.live.add(sub);
    let sent = 0;
    let slow = false;
    if (reqQuery(ctx.sql, filters, ctx.limits.maxLimit)) {
      await ctx.sql.begin('read only', async (tx) => {
        await tx`SELECT set_config('statement_timeout', ${String(ctx.limits.queryTimeoutMs)}, true)`;
        const query = reqQuery(tx, filters, ctx.limits.maxLimit) as NonNullable<ReturnType<typeof reqQuery>>;
        for await (const rows of tx<{ json: string }[]>`${query}`.cursor(ROWS_PER_FETCH)) {
          if (subs.get(subId) !== sub || gone) break; // closed or replaced: the cursor's query ends here
          for (const r of rows) sendText(`${prefix}${r.json}]`);
          sent += rows.length;
          if (!(await drained())) {
            slow = true;
            break;
          }
        }
      });
    }
    ctx.metrics.inc('relay_events_sent', sent);
    if (slow) return drop('stored events not read');
    if (subs.get(subId) === sub) send(['EOSE', subId]);
  }

  /** Wait until the socket's buffer is under the bound; false when it stays above for too long. */
  async function drained(): Promise<boolean> {
    const until = Date.now() + ctx.limits.slowClientTimeoutMs;
    while (ws.bufferedAmount > ctx.limits.maxBufferedBytes) {
      if (gone || ws.readyState !== ws.OPEN) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  async function onCount(subId: string, filters: readonly Filter[]): Promise<void> {
    const why = refusal(subId, filters, false);
    if (why) return refused(subId, why);
    const r = await countFilters(ctx.sql, filters, ctx.limits.countTimeoutMs);
    ctx.metrics.inc(r.approximate ? 'relay_counts_approximate' : 'relay_counts');
    send(['COUNT', subId, r.approximate ? { count: r.count, approximate: true } : { count: r.count }]);
  }

  async function onNegOpen(subId: string, filter: Filter, message: string): Promise<void> {
    negs.close(subId);
    const why = refusal(subId, [filter], true);
    if (why) return refused(subId, why, true);
    const max = ctx.limits.negentropyMaxRecords;
    const { limit: _limit, ...unlimited } = filter; // negentropy reconciles the whole matching set
    const items = await negentropyItems(ctx.sql, unlimited, max);
    if (items.length > max) {
      return refused(subId, `blocked: more than ${max} records match; narrow the filter (since/until)`, true);
    }
    ctx.metrics.inc('relay_negentropy_sessions');
    negs.open(subId, items, message);
  }
}
