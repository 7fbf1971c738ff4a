/**
 * One open connection to a relay: routes parsed messages to subscriptions and pending requests, keeps the
 * socket alive with ping/pong, pauses it when a consumer falls behind, and ends everything cleanly on close.
 */
import type WebSocket from 'ws';
import type { EventId } from '../../models/event.js';
import { fail } from '../../models/result.js';
import type { ProbeReason, ProbeResult } from '../../utils/net/reasons.js';
import { type OpenSocketOpts, openRelaySocket } from '../../utils/net/socket.js';
import type { EventSigner } from '../signer.js';
import { parseRelayMessage, type RelayMessage } from './messages.js';

/** Messages addressed to one subscription id. */
export type SubscriptionMessage = Extract<RelayMessage, { subId: string }>;

/** Receives the messages of one subscription id and the end of the connection. */
export interface SubscriptionHandler {
  message(msg: SubscriptionMessage): void;
  closed(reason: ProbeReason, detail: string): void;
}

/** Counters of what the relay sent that did not fit. */
export interface ConnectionStats {
  invalidMessages: number;
  unknownSubscription: number;
  notices: number;
  /** Payload bytes received and sent (for the synchronizer's negentropy savings). */
  bytesIn: number;
  bytesOut: number;
}

/** Options of `connectRelay`: transport options plus liveness. */
export interface ConnectOpts extends OpenSocketOpts {
  /** Interval of pings; the connection is closed as `timeout` when a pong is missing at the next one. Default 30 s. */
  readonly pingIntervalMs?: number;
  /** Signs NIP-42 AUTH answers. */
  readonly signer?: EventSigner;
}

/** Open a relay connection. */
export async function connectRelay(url: string, opts: ConnectOpts): Promise<ProbeResult<RelayConnection>> {
  const opened = await openRelaySocket(url, opts);
  if (!opened.ok) return opened;
  const { ws, insecure, headers, takeEarlyFrames } = opened.value;
  const conn = new RelayConnection({ url, ws, insecure, headers, ...pick(opts) });
  for (const [data, isBinary] of takeEarlyFrames()) conn.receive(data, isBinary);
  return { ok: true, value: conn };
}

function pick(opts: ConnectOpts): { pingIntervalMs?: number; signer?: EventSigner } {
  return {
    ...(opts.pingIntervalMs !== undefined ? { pingIntervalMs: opts.pingIntervalMs } : {}),
    ...(opts.signer ? { signer: opts.signer } : {}),
  };
}

/** Options of a connection built around an open socket. */
export interface RelayConnectionOpts {
  readonly url: string;
  readonly ws: WebSocket;
  readonly insecure?: boolean;
  /** The upgrade response headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly pingIntervalMs?: number;
  readonly signer?: EventSigner;
}

type OkWaiter = (msg: Extract<RelayMessage, { type: 'OK' }> | { closed: ProbeReason; detail: string }) => void;

/** An open relay connection (dispose it to close). */
export class RelayConnection implements AsyncDisposable {
  readonly url: string;
  readonly insecure: boolean;
  /** The HTTP headers of the WebSocket upgrade response. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signer: EventSigner | undefined;
  readonly stats: ConnectionStats = {
    invalidMessages: 0,
    unknownSubscription: 0,
    notices: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  /** The last NOTICE received (bounded to 1,000 characters). */
  lastNotice: string | undefined;
  /** The latest NIP-42 challenge, if the relay sent one. */
  challenge: string | undefined;
  /** Why the connection ended, once it has. */
  ended: { reason: ProbeReason; detail: string } | undefined;
  private readonly ws: WebSocket;
  private readonly subs = new Map<string, SubscriptionHandler>();
  private readonly okWaiters = new Map<string, OkWaiter>();
  private readonly challengeWaiters = new Set<() => void>();
  private readonly noticeWaiters = new Set<(notice: string | undefined) => void>();
  private readonly holds = new Set<object>();
  private readonly pinger: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(opts: RelayConnectionOpts) {
    this.url = opts.url;
    this.ws = opts.ws;
    this.insecure = opts.insecure ?? false;
    this.headers = opts.headers ?? {};
    this.signer = opts.signer;
    this.ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.ws.on('error', (err: Error & { code?: string }) => {
      const tooLarge = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      this.end(tooLarge ? 'too-large' : 'invalid', err.message);
    });
    this.ws.on('close', (code) => this.end('closed', `closed by the relay (${code})`));
    let alive = true;
    this.ws.on('pong', () => {
      alive = true;
    });
    const interval = opts.pingIntervalMs ?? 30_000;
    this.pinger = setInterval(() => {
      if (!alive) return this.end('timeout', `no pong within ${interval} ms`);
      alive = false;
      this.ws.ping();
    }, interval);
    this.pinger.unref();
  }

  /** Whether the socket is still open. */
  get open(): boolean {
    return this.ended === undefined;
  }

  /** A fresh subscription id, unique on this connection. */
  nextSubId(prefix = 'bb'): string {
    this.seq += 1;
    return `${prefix}${this.seq}`;
  }

  /** Send a client message (a JSON array). Returns false when the connection has ended. */
  send(message: readonly unknown[]): boolean {
    if (this.ended) return false;
    const text = JSON.stringify(message);
    this.stats.bytesOut += Buffer.byteLength(text);
    this.ws.send(text);
    return true;
  }

  /** Route the messages of `subId` to `handler` until `unroute`. */
  route(subId: string, handler: SubscriptionHandler): void {
    this.subs.set(subId, handler);
    if (this.ended) handler.closed(this.ended.reason, this.ended.detail);
  }

  /** Stop routing `subId`. */
  unroute(subId: string): void {
    this.subs.delete(subId);
  }

  /** Wait for the OK answering `eventId` (or the end of the connection / the signal). */
  waitForOk(eventId: EventId, signal: AbortSignal): Promise<Parameters<OkWaiter>[0]> {
    return new Promise((resolve) => {
      if (this.ended) return resolve({ closed: this.ended.reason, detail: this.ended.detail });
      const onAbort = (): void => done({ closed: 'timeout', detail: 'no OK before the deadline' });
      const done: OkWaiter = (m) => {
        signal.removeEventListener('abort', onAbort);
        this.okWaiters.delete(eventId);
        resolve(m);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.okWaiters.set(eventId, done);
    });
  }

  /** Wait until the relay has sent a NIP-42 challenge; false on deadline or close. */
  waitForChallenge(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.challenge !== undefined) return resolve(true);
      if (this.ended || signal.aborted) return resolve(false);
      const done = (value: boolean): void => {
        this.challengeWaiters.delete(wake);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const wake = (): void => done(this.challenge !== undefined);
      const onAbort = (): void => done(false);
      this.challengeWaiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The next NOTICE (undefined on deadline or close): how relays say they do not know a message type. */
  waitForNotice(signal: AbortSignal): Promise<string | undefined> {
    return new Promise((resolve) => {
      if (this.ended || signal.aborted) return resolve(undefined);
      const done = (notice: string | undefined): void => {
        this.noticeWaiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve(notice);
      };
      const onAbort = (): void => done(undefined);
      this.noticeWaiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stop reading from the socket while `holder` is behind (back-pressure); `release` undoes it. */
  hold(holder: object): void {
    if (this.holds.size === 0 && !this.ended) this.ws.pause();
    this.holds.add(holder);
  }

  /** Release a hold; the socket resumes when no holder is left. */
  release(holder: object): void {
    if (this.holds.delete(holder) && this.holds.size === 0 && !this.ended) this.ws.resume();
  }

  /** Close the socket (normal closure) and end everything waiting on it. */
  close(): void {
    if (this.ended) return;
    this.end('closed', 'closed by us');
    this.ws.close(1000);
    // A relay that never answers the close handshake must not keep the socket.
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Handle one frame from the relay (the socket's listener; also replays frames that came before it). */
  receive(data: WebSocket.RawData, isBinary: boolean): void {
    this.stats.bytesIn += rawLength(data);
    const parsed = isBinary ? fail('invalid', 'binary frame') : parseRelayMessage(rawText(data));
    if (!parsed.ok) {
      this.stats.invalidMessages += 1;
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'OK') {
      this.okWaiters.get(msg.eventId)?.(msg);
    } else if (msg.type === 'NOTICE') {
      this.stats.notices += 1;
      this.lastNotice = msg.message.slice(0, 1000);
      for (const wake of [...this.noticeWaiters]) wake(this.lastNotice);
    } else if (msg.type === 'AUTH') {
      this.challenge = msg.challenge.slice(0, 1000);
      for (const wake of [...this.challengeWaiters]) wake();
    } else {
      const handler = this.subs.get(msg.subId);
      if (handler) handler.message(msg);
      else this.stats.unknownSubscription += 1;
    }
  }

  private end(reason: ProbeReason, detail: string): void {
    if (this.ended) return;
    this.ended = { reason, detail };
    clearInterval(this.pinger);
    if (reason !== 'closed') this.ws.terminate();
    for (const handler of [...this.subs.values()]) handler.closed(reason, detail);
    for (const waiter of [...this.okWaiters.values()]) waiter({ closed: reason, detail });
    for (const wake of [...this.challengeWaiters]) wake();
    for (const wake of [...this.noticeWaiters]) wake(undefined);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** The byte length of a frame as `ws` delivers it. */
function rawLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}
