/**
 * NIP-01 subscriptions as async iterables with back-pressure: when `highWaterMark` events wait unconsumed the
 * socket is paused, so a slow consumer slows the relay instead of growing a buffer. Iteration never throws;
 * when it ends, `outcome` says why (EOSE, CLOSED with a reason, the connection ending, a timeout).
 */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import { authenticate } from '../nip42.js';
import type { RelayConnection, SubscriptionMessage } from './connection.js';
import { type Filter, matchFilters } from './filter.js';
import { messagePrefix, reasonOfRefusal } from './messages.js';

/** Options of a subscription. */
export interface SubscribeOpts {
  readonly subId?: string;
  /** Stop at EOSE and send CLOSE (default true); otherwise keep receiving live events. */
  readonly closeOnEose?: boolean;
  /** No message for this long (while the consumer keeps up) ends it as `timeout`; default 30 s, 0 = never. */
  readonly idleTimeoutMs?: number;
  /** Events waiting unconsumed before the socket is paused; default 1,000. */
  readonly highWaterMark?: number;
  /** End as `too-large` once the relay has sent more events than this (matching the filters or not). */
  readonly maxReceived?: number;
  /** Authenticate and retry once when the relay answers `auth-required` (needs a signer); default true. */
  readonly auth?: boolean;
  readonly signal?: AbortSignal;
}

/** How a subscription ended: `eose` false means it ended early but without an error (closeOnEose false). */
export type SubscriptionOutcome = ProbeResult<{ readonly eose: boolean }>;

/** What the relay sent that was dropped. */
export interface SubscriptionStats {
  received: number;
  /** Events that do not match the filters (e.g. a relay ignoring `until`): dropped. */
  unmatched: number;
  /** Matching events past the filters' `limit`: kept, counted. */
  overLimit: number;
}

/** Open a subscription on `conn`. */
export function subscribe(conn: RelayConnection, filters: readonly Filter[], opts: SubscribeOpts = {}): Subscription {
  return new Subscription(conn, filters, opts);
}

/** A live subscription; iterate it for events, then read `outcome`. Disposing it sends CLOSE. */
export class Subscription implements AsyncIterable<NostrEvent>, AsyncDisposable {
  readonly subId: string;
  readonly stats: SubscriptionStats = { received: 0, unmatched: 0, overLimit: 0 };
  outcome: SubscriptionOutcome | undefined;
  private readonly queue: NostrEvent[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private idle: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private held = false;
  private authTried = false;
  private readonly limit: number;
  private readonly onAbort = (): void => this.finish(fail('timeout', 'aborted'));

  constructor(
    private readonly conn: RelayConnection,
    private readonly filters: readonly Filter[],
    private readonly opts: SubscribeOpts,
  ) {
    this.subId = opts.subId ?? conn.nextSubId();
    const limits = filters.map((f) => f.limit ?? Number.POSITIVE_INFINITY);
    this.limit = limits.reduce((a, b) => a + b, 0);
    conn.route(this.subId, { message: (m) => this.onMessage(m), closed: (r, d) => this.finish(fail(r, d)) });
    // the listener lives exactly as long as the subscription: finish() removes it (never added when aborted)
    if (opts.signal?.aborted) this.onAbort();
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (!this.outcome) this.sendReq();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<NostrEvent> {
    try {
      while (true) {
        if (this.head < this.queue.length) {
          const event = this.queue[this.head] as NostrEvent;
          this.head += 1;
          this.compact();
          yield event;
          continue;
        }
        if (this.outcome) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      // a consumer that stops reading (break, return, throw) ends the subscription: CLOSE is sent, the route and
      // the signal's listener removed, instead of both living until the relay goes quiet
      if (!this.outcome) this.close();
    }
  }

  /** Events received and not yet consumed. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /**
   * End the subscription as refused by `message`: a relay that refuses a REQ with a NOTICE instead of a CLOSED
   * (some validators do) would otherwise leave it waiting for its idle timeout.
   */
  refuse(message: string): void {
    this.finish(fail(reasonOfRefusal(message), `NOTICE: ${message.slice(0, 200)}`));
  }

  /** Stop the subscription (CLOSE is sent if it is still open on the relay). */
  close(): void {
    this.finish(ok({ eose: false }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private sendReq(): void {
    this.conn.send(['REQ', this.subId, ...this.filters]);
    this.armIdle();
  }

  private onMessage(msg: SubscriptionMessage): void {
    if (this.outcome) return;
    this.lastActivity = Date.now();
    if (msg.type === 'EVENT') return void this.push(msg.event);
    if (msg.type === 'EOSE') {
      if (this.opts.closeOnEose !== false) this.finish(ok({ eose: true }));
      return;
    }
    if (msg.type === 'CLOSED') return void this.onClosed(msg.message);
    this.conn.stats.unknownSubscription += 1; // COUNT / NEG-* on a REQ id
  }

  private push(event: NostrEvent): void {
    this.stats.received += 1;
    const max = this.opts.maxReceived;
    if (max !== undefined && this.stats.received > max) {
      this.finish(fail('too-large', `the relay sent more than ${max} events for one subscription`));
      return;
    }
    if (!matchFilters(this.filters, event)) {
      this.stats.unmatched += 1;
      return;
    }
    if (this.stats.received - this.stats.unmatched > this.limit) this.stats.overLimit += 1;
    this.queue.push(event);
    if (!this.held && this.queue.length - this.head >= (this.opts.highWaterMark ?? 1000)) {
      this.held = true;
      this.conn.hold(this);
    }
    this.wakeUp();
  }

  private async onClosed(message: string): Promise<void> {
    const canAuth = this.opts.auth !== false && this.conn.signer !== undefined && !this.authTried;
    if (messagePrefix(message) === 'auth-required' && canAuth) {
      this.authTried = true;
      const signal = this.opts.signal;
      // a signer that throws (a key store gone) fails this subscription, never the process
      const authed = await authenticate(this.conn, signal ? { signal } : {}).catch((err: unknown) =>
        fail('auth-required', `AUTH could not be signed: ${(err as Error).message}`),
      );
      if (this.outcome) return;
      if (authed.ok) return this.sendReq();
      return this.finish(fail(authed.reason, authed.detail));
    }
    this.finish(fail(reasonOfRefusal(message), `CLOSED: ${message.slice(0, 200)}`), false);
  }

  // One timer per subscription that checks the last activity: cheaper than re-arming a timeout per event.
  private armIdle(): void {
    clearInterval(this.idle);
    this.lastActivity = Date.now();
    const ms = this.opts.idleTimeoutMs ?? 30_000;
    if (ms === 0) return; // live subscriptions: the connection's ping/pong still catches a dead relay
    this.idle = setInterval(
      () => {
        // a slow consumer (socket held) is not an idle relay
        if (!this.held && Date.now() - this.lastActivity >= ms) this.finish(fail('timeout', `no message for ${ms} ms`));
      },
      Math.max(10, Math.floor(ms / 4)),
    );
    this.idle.unref();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.held && this.queue.length - this.head <= (this.opts.highWaterMark ?? 1000) / 2) {
      this.held = false;
      this.lastActivity = Date.now();
      this.conn.release(this);
    }
  }

  private finish(outcome: SubscriptionOutcome, sendClose = true): void {
    if (this.outcome) return;
    this.outcome = outcome;
    clearInterval(this.idle);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (sendClose && this.conn.open) this.conn.send(['CLOSE', this.subId]);
    this.conn.unroute(this.subId);
    this.conn.release(this);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
