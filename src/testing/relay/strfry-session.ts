/**
 * One client connection to the test relay in its strfry profile: strfry's ingester, REQ worker/monitor and
 * negentropy threads as one synchronous session, with strfry's exact message texts (see strfry-profile.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { checkEventShape, eventKindClass, hasValidId, hasValidSignature, type NostrEvent } from '../../models/event.js';
import { matchFilters } from '../../nips/nip01/filter.js';
import { AUTH_KIND } from '../../nips/nip42.js';
import { NegentropyResponder } from '../../nips/nip77/responder.js';
import {
  fullyRestricted,
  mayCount,
  mayRead,
  parseStrfryFilters,
  type StrfryFilter,
  type StrfryRules,
  strfryEventJson,
  strfryQuery,
} from './strfry-profile.js';
import { StrfryTreeResponder } from './strfry-tree.js';
import type { RelayContext } from './types.js';

/** `events.rejectEventsNewerThanSeconds`. */
const NEWER_THAN_SECONDS = 900;

/** Handle one WebSocket as strfry would; returns the function that delivers a live event to its open subscriptions. */
export function startStrfrySession(
  ctx: RelayContext,
  r: StrfryRules,
  ws: WebSocket,
  socket: Socket,
): (event: NostrEvent) => void {
  const subs = new Map<string, StrfryFilter[]>();
  const negs = new Map<string, NegentropyResponder>();
  /** strfry's auth session: created with the first challenge, which it sends only on demand. */
  let challenge: string | undefined;
  let authed: string | undefined;

  const sendText = (text: string): void => {
    if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const send = (msg: readonly unknown[]): void => sendText(JSON.stringify(msg));
  const sendEvent = (subId: string, e: NostrEvent): void =>
    sendText(`["EVENT",${JSON.stringify(subId)},${strfryEventJson(e)}]`);
  const notice = (text: string): void => send(['NOTICE', `ERROR: ${text}`]);
  const closed = (subId: string, text: string): void => send(['CLOSED', subId, `ERROR: ${text}`]);
  const askAuth = (): boolean => {
    if (challenge !== undefined) return false;
    challenge = randomBytes(16).toString('base64url').slice(0, 22);
    send(['AUTH', challenge]);
    return true;
  };

  ws.on('message', (data: Buffer) => {
    // uWebSockets drops the TCP connection on an oversized message, without a close frame
    if (data.length > r.maxMessageBytes) return void socket.destroy();
    const text = data.toString('utf8');
    if (text === '\n') return;
    try {
      if (!text.startsWith('[')) throw new Error('unparseable message');
      const arr = JSON.parse(text) as unknown[];
      if (!Array.isArray(arr)) throw new Error('message is not an array');
      if (arr.length < 2) throw new Error('too few array elements');
      if (typeof arr[0] !== 'string') throw new Error('first element not a command like REQ');
      handle(arr[0], arr);
    } catch (err) {
      notice(`bad msg: ${(err as Error).message}`);
    }
  });
  ws.on('close', () => {
    subs.clear();
    negs.clear();
  });

  function handle(cmd: string, arr: unknown[]): void {
    if (cmd === 'EVENT') return void onEvent(arr[1]);
    if (cmd === 'AUTH') return void onAuth(arr[1]);
    if (cmd === 'REQ' || cmd === 'COUNT') {
      const subId = typeof arr[1] === 'string' ? arr[1] : '';
      try {
        return void onReq(arr, cmd === 'COUNT');
      } catch (err) {
        const text = `bad req: ${(err as Error).message}`;
        return void (subId ? closed(subId, text) : notice(text));
      }
    }
    if (cmd === 'CLOSE') {
      if (arr.length !== 2) return void notice('bad close: arr too small/big');
      if (typeof arr[1] !== 'string') return void notice('bad close: CLOSE subscription id was not a string');
      subs.delete(arr[1]);
      return;
    }
    if (cmd === 'NEG-OPEN' || cmd === 'NEG-MSG' || cmd === 'NEG-CLOSE') {
      try {
        return void onNegentropy(cmd, arr);
      } catch (err) {
        return void notice(`negentropy error: ${(err as Error).message}`);
      }
    }
    throw new Error('unknown cmd');
  }

  function onReq(arr: unknown[], countOnly: boolean): void {
    if (arr.length < 3) throw new Error('arr too small');
    if (typeof arr[1] !== 'string') throw new Error('subscription id was not a string');
    const subId = arr[1];
    if (arr.length > 2 + r.maxReqFilterSize) throw new Error('arr too big');
    const max = countOnly ? r.maxFilterLimitCount + 1 : r.maxFilterLimit;
    const filters = parseStrfryFilters(arr.slice(2), max, r);
    const refuse = countOnly ? !mayCount(filters, authed, r) : fullyRestricted(filters, r) && authed === undefined;
    if (refuse) {
      if (askAuth()) return void closed(subId, 'auth-required: requested filter requires authentication');
      if (countOnly && authed !== undefined)
        return void closed(subId, 'count-failed: can only count events you are involved in');
      return void closed(subId, 'auth-required: requested filter requires authentication');
    }
    const matched = strfryQuery(ctx.store, filters);
    if (countOnly) {
      const total = matched.length; // COUNT counts restricted events too: it cannot filter per event
      const body = total > r.maxFilterLimitCount ? { count: r.maxFilterLimitCount, limited: true } : { count: total };
      return void send(['COUNT', subId, body]);
    }
    for (const e of matched) if (mayRead(e, authed, r)) sendEvent(subId, e);
    send(['EOSE', subId]);
    // the REQ monitor takes the subscription after EOSE, and refuses it when the connection holds too many
    subs.delete(subId);
    if (subs.size >= r.maxSubsPerConnection) return void notice('too many concurrent REQs');
    subs.set(subId, filters);
  }

  function onEvent(value: unknown): void {
    const e = value as NostrEvent;
    const id = typeof e === 'object' && e !== null && typeof e.id === 'string' ? e.id : '?';
    const ok = (written: boolean, message: string): void => send(['OK', id, written, message]);
    const reason = checkEvent(value, NEWER_THAN_SECONDS);
    if (reason) return void ok(false, `invalid: ${reason}`);
    if (e.tags.some((t) => t[0] === '-')) {
      if (!r.acceptAuth) return void ok(false, 'blocked: event marked as protected');
      if (askAuth() || authed === undefined) return void ok(false, 'auth-required: event marked as protected');
      if (authed !== e.pubkey) return void ok(false, 'restricted: must be published by the author');
    }
    const outcome = ctx.store.add(e);
    if (outcome === 'duplicate') return void ok(true, 'duplicate: have this event');
    if (outcome === 'outdated') return void ok(false, 'replaced: have newer event');
    ok(true, '');
    ctx.broadcast(e);
  }

  function onAuth(value: unknown): void {
    const e = value as NostrEvent;
    const id = typeof e === 'object' && e !== null && typeof e.id === 'string' ? e.id : '?';
    const fail = (message: string): void => send(['OK', id, false, `error: ${message}`]);
    if (!r.acceptAuth) return void fail('relay needs serviceUrl to be configured before AUTH can work');
    const reason = checkEvent(value, NEWER_THAN_SECONDS);
    if (reason) return void fail(reason);
    if (e.kind !== AUTH_KIND) return void fail('wrong event kind, expected 22242');
    if (challenge === undefined) return void fail('no auth status available for connection');
    if (authed !== undefined) return void fail('already authenticated');
    const tag = (name: string, want: string): boolean => e.tags.some((t) => t[0] === name && t[1] === want);
    const host = (url: string): string =>
      url
        .replace(/^.*?:\/\//, '')
        .replace(/[/?#].*$/, '')
        .toLowerCase();
    if (!tag('challenge', challenge)) return void fail('challenge string mismatch');
    if (!e.tags.some((t) => t[0] === 'relay' && host(t[1] ?? '') === host(ctx.url)))
      return void fail(`incorrect or missing relay tag, expected: ${ctx.url}`);
    authed = e.pubkey;
    send(['OK', id, true, 'successfully authenticated']);
  }

  function onNegentropy(cmd: string, arr: unknown[]): void {
    if (typeof arr[1] !== 'string') throw new Error('NEG subscription id was not a string');
    const subId = arr[1];
    if (cmd === 'NEG-CLOSE') return void negs.delete(subId);
    if (cmd === 'NEG-MSG') {
      if (arr.length < 3) throw new Error('negentropy message missing elements');
      if (typeof arr[2] !== 'string') throw new Error('negentropy payload not a string');
      const neg = negs.get(subId);
      if (!neg) return void send(['NEG-ERR', subId, 'closed: unknown subscription handle']);
      return void reconcile(subId, neg, arr[2]);
    }
    if (arr.length < 4) throw new Error('negentropy query missing elements');
    const filter = arr[2];
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
      throw new Error('negentropy filter must be an object');
    const filters = parseStrfryFilters([filter], r.maxSyncEvents + 1, r);
    if (fullyRestricted(filters, r) && authed === undefined) {
      askAuth();
      return void send(['NEG-ERR', subId, 'auth-required: requested filter requires authentication']);
    }
    if (typeof arr[3] !== 'string') throw new Error('negentropy payload not a string');
    negs.delete(subId);
    // strfry keeps a negentropy tree for the filter {} (since/until removed): it holds every event, restricted
    // ones included. Any other filter is queried; its restricted events are always left out (the negentropy
    // thread is never told about AUTH).
    const tree = Object.keys(filter).every((k) => k === 'since' || k === 'until');
    let items: NostrEvent[] = [];
    if (!tree) {
      const matched = strfryQuery(ctx.store, filters);
      if (matched.length > r.maxSyncEvents)
        return void send(['NEG-ERR', subId, 'blocked: too many query results', r.maxSyncEvents]);
      items = matched.filter((e) => !r.restrictedReadKinds.includes(e.kind));
    }
    const full = negs.size >= r.maxSubsPerConnection;
    if (full && !tree) return void notice('too many concurrent NEG requests');
    const record = (e: NostrEvent) => ({ timestamp: e.created_at, id: e.id });
    const { since = 0, until = Number.MAX_SAFE_INTEGER } = filter as { since?: number; until?: number };
    const neg = tree
      ? new StrfryTreeResponder(ctx.store.all().map(record), since, until, r.negentropyFrameSizeLimit)
      : new NegentropyResponder(items.map(record), r.negentropyFrameSizeLimit);
    if (!full) negs.set(subId, neg);
    reconcile(subId, neg, arr[3]);
    if (full) notice('too many concurrent NEG requests');
  }

  function reconcile(subId: string, neg: NegentropyResponder, hex: string): void {
    try {
      send(['NEG-MSG', subId, neg.reconcile(hex)]);
    } catch {
      negs.delete(subId);
      send(['NEG-ERR', subId, 'PROTOCOL-ERROR']);
    }
  }

  return (event) => {
    if (!mayRead(event, authed, r)) return;
    // a live subscription matches regardless of `limit` (matchFilter ignores it)
    for (const [subId, filters] of subs) if (matchFilters(filters, event)) sendEvent(subId, event);
  };
}

/** strfry's checks on an incoming event, in its order: shape, created_at window, id, signature. */
function checkEvent(value: unknown, newerThanSeconds: number): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'event is not an object';
  const shape = checkEventShape(value);
  if (!shape.ok) return shape.detail ?? shape.reason;
  const e = shape.value;
  const now = Math.floor(Date.now() / 1000);
  const ephemeral = eventKindClass(e.kind) === 'ephemeral';
  if (e.created_at < now - (ephemeral ? 60 : 94_608_000))
    return ephemeral ? 'ephemeral event expired' : 'created_at too early';
  if (e.created_at > now + newerThanSeconds) return 'created_at too late';
  if (!hasValidId(e)) return 'bad event id';
  if (!hasValidSignature(e)) return 'bad signature';
  return undefined;
}
