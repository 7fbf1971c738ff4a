/**
 * Opening a WebSocket to a relay: bounded connect time and frame size, TLS verification
 * with an opt-in insecure retry, overlays through their SOCKS5 proxy (which resolves the name), the local
 * network only when enabled, and the connection-time guard against clearnet names that resolve locally.
 */
import type { LookupFunction } from 'node:net';
import WebSocket from 'ws';
import type { Network } from '../../models/network.js';
import { fail, ok } from '../../models/result.js';
import { withDeadline } from '../deadline.js';
import { socksAgent } from './proxy.js';
import { isCertificateError, type ProbeReason, type ProbeResult, reasonOfError } from './reasons.js';
import { guardedLookup, type Resolver } from './resolve.js';

/** How to reach one relay. */
export interface OpenSocketOpts {
  /** The relay's network (from `parseRelayUrl`). */
  readonly network: Network;
  /** SOCKS5 proxy of an overlay network (`socks5://host:port`); required for tor, i2p and loki. */
  readonly proxyUrl?: string;
  /** Whether the `local` network is enabled (local addresses may be reached). */
  readonly allowLocal?: boolean;
  /** Retry once without certificate verification when TLS verification fails. */
  readonly allowInsecure?: boolean;
  readonly resolver?: Resolver;
  /** Connect (TCP + TLS + upgrade) deadline, milliseconds; default 10,000. */
  readonly connectTimeoutMs?: number;
  /** Largest accepted frame, bytes; default 5 MiB. */
  readonly maxMessageBytes?: number;
  readonly signal?: AbortSignal;
}

/** An open socket and how it was reached. */
export interface OpenedSocket {
  readonly ws: WebSocket;
  /** TLS verification failed and the connection was made without it. */
  readonly insecure: boolean;
  /** The headers of the HTTP 101 upgrade response (lower-case names; NIP-66 `http` check). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Stop buffering and return the frames that arrived before the caller attached its own `message` listener
   * (a relay may send AUTH in the same TCP segment as the upgrade answer). Call it once, synchronously after
   * attaching the listener.
   */
  takeEarlyFrames(): [WebSocket.RawData, boolean][];
}

/** The default largest frame: 5 MiB (well above any relay's `max_message_length`). */
export const DEFAULT_MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

/** Open a WebSocket to `url`; never throws for network outcomes. */
export async function openRelaySocket(url: string, opts: OpenSocketOpts): Promise<ProbeResult<OpenedSocket>> {
  if (opts.network === 'local' && !opts.allowLocal) return fail('refused', 'the local network is not enabled');
  const overlay = opts.network === 'tor' || opts.network === 'i2p' || opts.network === 'loki';
  if (overlay && !opts.proxyUrl) return fail('refused', `no proxy configured for the ${opts.network} network`);
  const first = await attempt(url, opts, false);
  if (first.ok || !first.certificate || !opts.allowInsecure || !url.startsWith('wss:')) return first.result;
  return (await attempt(url, opts, true)).result;
}

interface Attempt {
  readonly ok: boolean;
  readonly certificate: boolean;
  readonly result: ProbeResult<OpenedSocket>;
}

function socketOptions(opts: OpenSocketOpts, insecure: boolean): WebSocket.ClientOptions {
  const base: WebSocket.ClientOptions = {
    handshakeTimeout: opts.connectTimeoutMs ?? 10_000,
    maxPayload: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    followRedirects: false,
    rejectUnauthorized: !insecure,
    perMessageDeflate: opts.network !== 'local',
  };
  if (opts.proxyUrl && opts.network !== 'clearnet' && opts.network !== 'local') {
    return { ...base, agent: socksAgent(opts.proxyUrl) };
  }
  const guard = { allowLocal: opts.allowLocal === true, ...(opts.resolver ? { resolver: opts.resolver } : {}) };
  // ws passes unknown options through to http(s).request, which takes `lookup`.
  const withLookup: WebSocket.ClientOptions & { lookup: LookupFunction } = { ...base, lookup: guardedLookup(guard) };
  return withLookup;
}

function attempt(url: string, opts: OpenSocketOpts, insecure: boolean): Promise<Attempt> {
  return new Promise((resolve) => {
    const deadline = withDeadline(opts.connectTimeoutMs ?? 10_000, opts.signal);
    const signal = deadline.signal;
    if (signal.aborted) {
      deadline.clear();
      resolve({ ok: false, certificate: false, result: fail('timeout', 'aborted before connecting') });
      return;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, socketOptions(opts, insecure));
    } catch (err) {
      deadline.clear();
      resolve({ ok: false, certificate: false, result: fail('invalid', (err as Error).message) });
      return;
    }
    const early: [WebSocket.RawData, boolean][] = [];
    const onEarly = (data: WebSocket.RawData, isBinary: boolean): void => void early.push([data, isBinary]);
    ws.on('message', onEarly);
    const takeEarlyFrames = (): [WebSocket.RawData, boolean][] => {
      ws.off('message', onEarly);
      return early.splice(0);
    };
    const settle = (a: Attempt): void => {
      deadline.clear();
      signal.removeEventListener('abort', onAbort);
      ws.removeAllListeners('open').removeAllListeners('error').removeAllListeners('unexpected-response');
      if (!a.ok) {
        ws.on('error', () => undefined); // terminate() may still emit; nobody listens any more.
        ws.terminate();
      }
      resolve(a);
    };
    const onAbort = (): void => settle({ ok: false, certificate: false, result: fail('timeout', 'connect timed out') });
    signal.addEventListener('abort', onAbort, { once: true });
    let headers: Record<string, string> = {};
    ws.once('upgrade', (res) => {
      headers = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]),
      );
    });
    ws.once('open', () =>
      settle({ ok: true, certificate: false, result: ok({ ws, insecure, headers, takeEarlyFrames }) }),
    );
    ws.once('error', (err) => {
      const reason = (err as Error).message.includes('Opening handshake has timed out')
        ? 'timeout'
        : reasonOfError(err);
      settle({ ok: false, certificate: isCertificateError(err), result: fail(reason, (err as Error).message) });
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      settle({ ok: false, certificate: false, result: httpFailure(res.statusCode ?? 0) });
    });
  });
}

function httpFailure(status: number): ProbeResult<never> {
  const byStatus: Record<number, ProbeReason> = { 401: 'auth-required', 402: 'payment-required', 429: 'rate-limited' };
  const reason = byStatus[status] ?? (status >= 200 && status < 300 ? 'not-nostr' : 'http');
  return fail(reason, `HTTP ${status} instead of a WebSocket upgrade`);
}
