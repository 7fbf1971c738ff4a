/** A bounded HTTP GET for probing: size cap, redirect guard, overall deadline, injected resolver or agent. */
import http from 'node:http';
import https from 'node:https';
import { detectNetwork } from '../models/network.js';
import { fail, ok } from '../models/result.js';
import { withDeadline } from './deadline.js';
import { type ProbeResult, reasonOfError } from './net/reasons.js';
import { guardedLookup, isLocalAddress, type Resolver } from './net/resolve.js';

/** A completed response: status, lower-case headers, the whole (bounded) body and the final URL. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly url: string;
}

/** Options of `fetchBounded`. */
export interface FetchBoundedOpts {
  /** The `Accept` request header. */
  readonly accept?: string;
  /** The largest body accepted; more is `too-large`. */
  readonly maxBytes: number;
  /** Redirects followed before giving up with `http` (default 3). */
  readonly maxRedirects?: number;
  /** The `local` network is enabled: local names and addresses may be reached. */
  readonly allowLocal?: boolean;
  readonly resolver?: Resolver;
  /** Accept any TLS certificate. */
  readonly insecure?: boolean;
  /** A proxy agent (SOCKS) used for every request; no lookup is set then. */
  readonly agent?: http.Agent;
  /** Deadline of the whole exchange, redirects included (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Deadline of each connection (TCP, plus TLS for https), within `timeoutMs`. */
  readonly connectTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of the redirect and target guard. */
export interface TargetOpts {
  readonly allowLocal?: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Whether a URL may be requested: http(s) only, and no local host or IP literal unless allowed. */
export function checkTarget(url: URL, opts: TargetOpts): ProbeResult<URL> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('http', `scheme ${url.protocol} refused`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // why: Node skips `lookup` for IP literals, so the resolver guard never sees them
  const isIpLiteral = url.hostname.startsWith('[') || /^[\d.]+$/.test(host);
  const local = detectNetwork(host) === 'local' || (isIpLiteral && isLocalAddress(host));
  if (local && !opts.allowLocal) return fail('refused', `${host} is a local address`);
  return ok(url);
}

/** Resolve a redirect's Location against the current URL and apply the target guard. */
export function checkRedirect(from: URL, location: string, opts: TargetOpts): ProbeResult<URL> {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch (err) {
    return fail('http', `bad redirect location: ${(err as Error).message}`);
  }
  return checkTarget(next, opts);
}

/** GET `url`, following a few guarded redirects, reading at most `maxBytes`; network outcomes are data. */
export async function fetchBounded(url: string, opts: FetchBoundedOpts): Promise<ProbeResult<HttpResponse>> {
  let current: URL;
  try {
    current = new URL(url);
  } catch (err) {
    return fail('invalid', `bad url: ${(err as Error).message}`);
  }
  const target = checkTarget(current, opts);
  if (!target.ok) return target;
  using deadline = withDeadline(opts.timeoutMs ?? 10_000, opts.signal);
  const signal = deadline.signal;
  const maxRedirects = opts.maxRedirects ?? 3;
  for (let redirects = 0; ; redirects++) {
    const hop = await requestOnce(current, opts, signal);
    if (!hop.ok) return hop;
    const location = hop.value.headers.location;
    if (!REDIRECTS.has(hop.value.status) || location === undefined) return hop;
    if (redirects >= maxRedirects) return fail('http', `more than ${maxRedirects} redirects`);
    const next = checkRedirect(current, location, opts);
    if (!next.ok) return next;
    current = next.value;
  }
}

function requestOptions(url: URL, opts: FetchBoundedOpts, signal: AbortSignal): https.RequestOptions {
  const headers: Record<string, string> = { 'user-agent': 'bigbrotr' };
  if (opts.accept !== undefined) headers.accept = opts.accept;
  const base: https.RequestOptions = { method: 'GET', headers };
  if (url.protocol === 'https:') base.rejectUnauthorized = !opts.insecure;
  if (opts.agent) return { ...base, agent: opts.agent };
  const guard = { allowLocal: opts.allowLocal ?? false, signal, ...(opts.resolver ? { resolver: opts.resolver } : {}) };
  // why: a fresh agent per request, so no pooled socket skips the lookup guard or outlives the call
  return { ...base, agent: false, lookup: guardedLookup(guard) };
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** One request, no redirect handling; redirect responses come back without their body. */
function requestOnce(url: URL, opts: FetchBoundedOpts, signal: AbortSignal): Promise<ProbeResult<HttpResponse>> {
  if (signal.aborted) return Promise.resolve(fail('timeout', `aborted before ${url.href}`));
  return new Promise((resolve) => {
    let req: http.ClientRequest | undefined;
    let done = false;
    const settle = (result: ProbeResult<HttpResponse>): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(result);
    };
    const onError = (err: unknown): void => {
      if (signal.aborted) settle(fail('timeout', `deadline reached for ${url.href}`));
      else settle(fail(reasonOfError(err), `${url.href}: ${(err as Error).message}`));
    };
    const onAbort = (): void => settle(fail('timeout', `deadline reached for ${url.href}`));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const request = url.protocol === 'https:' ? https.request : http.request;
      req = request(url, requestOptions(url, opts, signal), (res) => onResponse(res, url, opts.maxBytes, settle));
    } catch (err) {
      settle(fail('invalid', `${url.href}: ${(err as Error).message}`));
      return;
    }
    req.on('error', onError);
    if (opts.connectTimeoutMs !== undefined) guardConnect(req, opts.connectTimeoutMs, url, settle);
    req.end();
  });
}

function onResponse(
  res: http.IncomingMessage,
  url: URL,
  maxBytes: number,
  settle: (result: ProbeResult<HttpResponse>) => void,
): void {
  const status = res.statusCode ?? 0;
  const headers = flattenHeaders(res.headers);
  const respond = (body: Buffer): void => settle(ok({ status, headers, body, url: url.href }));
  if (REDIRECTS.has(status) && headers.location !== undefined) {
    respond(Buffer.alloc(0));
    return;
  }
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    settle(fail('too-large', `content-length ${declared} > ${maxBytes}`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) settle(fail('too-large', `body larger than ${maxBytes} bytes`));
    else chunks.push(chunk);
  });
  res.on('end', () => respond(Buffer.concat(chunks, size)));
  res.on('error', (err) => settle(fail(reasonOfError(err), `${url.href}: ${err.message}`)));
  res.on('close', () => settle(fail('closed', `${url.href}: connection closed before the body ended`)));
}

/** Fail as `timeout` when the request's socket is not connected (and TLS-ready for https) within `ms`. */
function guardConnect(
  req: http.ClientRequest,
  ms: number,
  url: URL,
  settle: (result: ProbeResult<HttpResponse>) => void,
): void {
  const timer = setTimeout(() => settle(fail('timeout', `no connection to ${url.host} within ${ms} ms`)), ms);
  timer.unref();
  req.once('close', () => clearTimeout(timer));
  req.once('socket', (socket) => {
    const ready = url.protocol === 'https:' ? 'secureConnect' : 'connect';
    // a reused or already-connected socket has nothing left to wait for
    if (!socket.connecting) clearTimeout(timer);
    else socket.once(ready, () => clearTimeout(timer));
  });
}
