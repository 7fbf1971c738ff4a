/** One client connection to the test relay: the NIP-01/42/45/77 protocol, with the switchable misbehaviours. */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { type NostrEvent, validateEvent } from '../../models/event.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { matchFilters } from '../../nips/nip01/filter.js';
import { type ClientMessage, parseClientMessage } from '../../nips/nip01/messages.js';
import { powDifficulty } from '../../nips/nip13.js';
import { AUTH_KIND } from '../../nips/nip42.js';
import { createNegSessions } from '../../nips/nip77/sessions.js';
import { createDripper, GARBAGE_FRAMES, textFrame } from './frames.js';
import type { RelayContext } from './types.js';

/** Handle one WebSocket; returns the function that delivers a live event to its open subscriptions. */
export function startSession(ctx: RelayContext, ws: WebSocket, socket: Socket): (event: NostrEvent) => void {
  const challenge = randomBytes(16).toString('hex');
  const subs = new Map<string, readonly Filter[]>();
  let authed: string | undefined;
  const mis = (): RelayContext['misbehave'] => ctx.misbehave;

  let drip: ((bytes: Buffer) => void) | undefined;
  const send = (msg: readonly unknown[]): void => {
    const text = JSON.stringify(msg);
    const dripMs = mis().dripMs;
    if (dripMs) {
      drip ??= createDripper(socket, dripMs);
      drip(textFrame(text));
    } else if (ws.readyState === ws.OPEN) ws.send(text);
  };

  const negs = createNegSessions(send);

  if (mis().stall) {
    socket.pause(); // reads nothing: no answers, no pongs
    return () => undefined;
  }
  const challengesOnConnect = ctx.authRequired.read || ctx.authRequired.write || ctx.info.supported_nips?.includes(42);
  if (challengesOnConnect && !mis().authOnDemandKinds) send(['AUTH', challenge]);

  ws.on('message', (data, isBinary) => {
    const parsed = isBinary ? undefined : parseClientMessage(String(data));
    if (!parsed?.ok) return send(['NOTICE', `invalid: ${parsed?.detail ?? 'binary frame'}`]);
    if (mis().noticeInsteadOfAnswers) return send(['NOTICE', 'error: not answering that']);
    handle(parsed.value);
  });
  ws.on('close', () => {
    subs.clear();
    negs.clear();
  });

  function handle(msg: ClientMessage): void {
    switch (msg.type) {
      case 'EVENT':
        return void onEvent(msg.event);
      case 'REQ':
        return void onReq(msg.subId, msg.filters);
      case 'CLOSE':
        subs.delete(msg.subId);
        return;
      case 'COUNT':
        if (ctx.authRequired.read && !authed)
          return void send(['CLOSED', msg.subId, 'auth-required: count needs AUTH']);
        return void send(['COUNT', msg.subId, { count: ctx.store.count(msg.filters) }]);
      case 'AUTH':
        return void onAuth(msg.event);
      case 'NEG-OPEN':
        return void onNegOpen(msg.subId, msg.filter, msg.message);
      case 'NEG-MSG':
        return void negs.message(msg.subId, msg.message);
      case 'NEG-CLOSE':
        negs.close(msg.subId);
        return;
    }
  }

  function onEvent(event: NostrEvent): void {
    const refuse = (message: string): void => send(['OK', event.id, false, message]);
    if (mis().rateLimited) return void refuse('rate-limited: slow down');
    const refusal = mis().refuseWrites;
    if (refusal !== undefined) return void refuse(refusal);
    if (ctx.authRequired.write && !authed) return void refuse('auth-required: publishing needs AUTH');
    const valid = validateEvent(event);
    if (!valid.ok) return void refuse(`invalid: ${valid.reason}`);
    const minPow = ctx.info.limitation?.min_pow_difficulty ?? 0;
    if (minPow > 0 && powDifficulty(event.id) < minPow) return void refuse(`pow: difficulty ${minPow} required`);
    if (mis().acceptWithoutServing) return void send(['OK', event.id, true, '']);
    const outcome = ctx.store.add(event);
    if (outcome === 'duplicate') return void send(['OK', event.id, true, 'duplicate: already have this event']);
    send(['OK', event.id, true, outcome === 'outdated' ? 'duplicate: a newer version is stored' : '']);
    if (outcome !== 'outdated') ctx.broadcast(event);
  }

  function onReq(subId: string, filters: readonly Filter[]): void {
    if (mis().rateLimited) return void send(['CLOSED', subId, 'rate-limited: too many requests']);
    const refusal = mis().refuseReads;
    if (refusal !== undefined) return void send(['CLOSED', subId, refusal]);
    if (ctx.authRequired.read && !authed) return void send(['CLOSED', subId, 'auth-required: reading needs AUTH']);
    const onDemand = mis().authOnDemandKinds;
    if (onDemand && !authed && filters.every((f) => f.kinds?.length && f.kinds.every((k) => onDemand.includes(k)))) {
      send(['AUTH', challenge]);
      return void send(['CLOSED', subId, 'auth-required: requested filter requires authentication']);
    }
    if (mis().garbage) for (const g of GARBAGE_FRAMES) ws.send(g);
    if (mis().oversizedBytes) send(['NOTICE', 'x'.repeat(mis().oversizedBytes ?? 0)]);
    if (mis().floodCopies) return void flood(subId, mis().floodCopies ?? 0);
    const events = ctx.store.query(servedFilters(filters, ctx), ctx.maxLimit);
    const closeAfter = mis().closeAfter;
    let n = 0;
    for (const event of events) {
      if (closeAfter !== undefined && n >= closeAfter) return void socket.destroy();
      const out = mis().invalidSignatures
        ? { ...event, sig: event.sig.replace(/^./, event.sig[0] === '0' ? '1' : '0') }
        : mis().forgeContent
          ? forged(event)
          : event;
      send(['EVENT', mis().wrongSubId ? `${subId}x` : subId, out]);
      n += 1;
    }
    const notice = mis().noticeAfterEvents;
    if (notice !== undefined) send(['NOTICE', notice]);
    // after such a NOTICE, EOSE comes a moment later: the client reads the NOTICE alone, not in one burst with it
    if (!mis().noEose) notice === undefined ? send(['EOSE', subId]) : setTimeout(() => send(['EOSE', subId]), 50);
    subs.set(subId, filters);
  }

  // forged copies of the stored events, sent in slices so the process (the test's own) keeps running meanwhile
  async function flood(subId: string, copies: number): Promise<void> {
    const all = ctx.store.query([{}], Number.POSITIVE_INFINITY);
    for (let i = 0; i < copies && all.length > 0 && ws.readyState === ws.OPEN; i++) {
      send(['EVENT', subId, forged(all[i % all.length] as NostrEvent)]);
      if (i % 500 === 499) {
        do await new Promise((r) => setTimeout(r, ws.bufferedAmount > 1 << 22 ? 10 : 0));
        while (ws.bufferedAmount > 1 << 22 && ws.readyState === ws.OPEN);
      }
    }
    if (ws.readyState === ws.OPEN) send(['EOSE', subId]);
  }

  function onAuth(event: NostrEvent): void {
    const tag = (name: string): string | undefined => event.tags.find((t) => t[0] === name)?.[1];
    const fresh = Math.abs(event.created_at - Date.now() / 1000) < 600;
    const ok = event.kind === AUTH_KIND && tag('challenge') === challenge && tag('relay') === ctx.url && fresh;
    const refusal = mis().refuseAuth;
    if (refusal !== undefined) return void send(['OK', event.id, false, refusal]);
    if (!ok || !validateEvent(event).ok) return void send(['OK', event.id, false, 'invalid: bad AUTH event']);
    authed = event.pubkey;
    send(['OK', event.id, true, '']);
  }

  function onNegOpen(subId: string, filter: Filter, message: string): void {
    if (ctx.authRequired.read && !authed) return void send(['NEG-ERR', subId, 'auth-required: reading needs AUTH']);
    if (!ctx.info.supported_nips?.includes(77)) return void send(['NOTICE', 'error: unknown message NEG-OPEN']);
    const { limit: _limit, ...unlimited } = filter; // negentropy reconciles the whole matching set
    const items = ctx.store.all().filter((e) => matchFilters([unlimited], e));
    const max = ctx.misbehave.negentropyMaxRecords;
    if (max !== undefined && items.length > max)
      return void send(['NEG-ERR', subId, `blocked: ${items.length} records, at most ${max}`]);
    negs.open(
      subId,
      items.map((e) => ({ timestamp: e.created_at, id: e.id })),
      message,
    );
  }

  return (event) => {
    for (const [subId, filters] of subs) if (matchFilters(filters, event)) send(['EVENT', subId, event]);
  };
}

/** The filters as the relay applies them: NIP-11 `default_limit` filled in, and the `ignore…` misbehaviours. */
function servedFilters(filters: readonly Filter[], ctx: RelayContext): Filter[] {
  const defaultLimit = ctx.info.limitation?.default_limit;
  return filters.map((f) => {
    const { until, limit, ...rest } = f;
    const served: Filter = { ...rest };
    if (until !== undefined && !ctx.misbehave.ignoreUntil) served.until = until;
    const effective = limit ?? defaultLimit;
    if (effective !== undefined && !ctx.misbehave.ignoreLimit) served.limit = effective;
    return served;
  });
}

/** The event with altered content under its own id and signature. */
function forged(event: NostrEvent): NostrEvent {
  return { ...event, content: `${event.content} (forged)` };
}
