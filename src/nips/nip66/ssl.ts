/**
 * The NIP-66 `ssl` check ([NIP-66](https://github.com/nostr-protocol/nips/blob/master/66.md)): the
 * certificate of host:port read over a TLS connection made without verification, and its validity judged from
 * the same handshake (chain against the trust store, host name, validity window).
 */
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { withDeadline } from '../../utils/deadline.js';
import { type ProbeReason, reasonOfError } from '../../utils/net/reasons.js';
import { guardedLookup, isLocalAddress, type Resolver } from '../../utils/net/resolve.js';
import { type CheckResult, checkFailed, checkOk } from './types.js';

/** The `nip66_ssl` data fields (NIP wire names); absent facts are omitted, never null. */
export interface SslData {
  ssl_valid?: boolean;
  ssl_subject_cn?: string;
  /** The issuer's organisation (O); omitted when the issuer has none, as the reference does. */
  ssl_issuer?: string;
  ssl_issuer_cn?: string;
  /** notAfter, Unix seconds. */
  ssl_expires?: number;
  /** notBefore, Unix seconds. */
  ssl_not_before?: number;
  /** DNS names and IP addresses of the subjectAltName extension, without their `DNS:` / `IP Address:` prefix. */
  ssl_san?: string[];
  /** Upper-case hex without leading zeros (Python's `format(serial, 'X')`). */
  ssl_serial?: string;
  /** The X.509 version number (1–3). */
  ssl_version?: number;
  /** `SHA256:AA:BB:…` of the DER certificate. */
  ssl_fingerprint?: string;
  ssl_protocol?: string;
  ssl_cipher?: string;
  ssl_cipher_bits?: number;
}

/** Options of `checkSsl`. */
export interface SslCheckOpts {
  /** Deadline of the whole check (TCP, TLS handshake), milliseconds; default 10,000. */
  readonly timeoutMs?: number;
  /** SNI and the name verified against the certificate; default `host` unless it is an IP literal. */
  readonly servername?: string;
  /** Trusted CA certificates (PEM) replacing Node's bundled root store; for tests and private deployments. */
  readonly ca?: string | readonly string[];
  /** Resolver for a host name (default the system's), behind the connection-time guard (docs/design/security.md). */
  readonly resolver?: Resolver;
  /** The `local` network is enabled: local addresses may be reached. */
  readonly allowLocal?: boolean;
  readonly signal?: AbortSignal;
}

/** The default deadline of the check: 10 s. */
export const DEFAULT_SSL_TIMEOUT_MS = 10_000;

/** Inspect the TLS certificate of `host:port`; never throws for network trouble. */
export async function checkSsl(host: string, port: number, opts: SslCheckOpts = {}): Promise<CheckResult<SslData>> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0 && !opts.allowLocal && isLocalAddress(bare)) return checkFailed('refused', {});
  using deadline = withDeadline(opts.timeoutMs ?? DEFAULT_SSL_TIMEOUT_MS, opts.signal);
  const signal = deadline.signal;
  if (signal.aborted) return checkFailed('timeout', {});
  const handshake = await connectTls(bare, port, opts, signal);
  if (!handshake.ok) return checkFailed(handshake.reason, {});
  const { socket } = handshake;
  try {
    return checkOk(describeConnection(socket, Date.now()));
  } finally {
    socket.destroy();
  }
}

type Handshake = { ok: true; socket: TLSSocket } | { ok: false; reason: ProbeReason };

/** Open a TLS connection without rejecting the certificate; resolves once the handshake is done or failed. */
function connectTls(host: string, port: number, opts: SslCheckOpts, signal: AbortSignal): Promise<Handshake> {
  const isAddress = isIP(host) !== 0;
  const servername = opts.servername ?? (isAddress ? undefined : host);
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      rejectUnauthorized: false,
      ...(servername === undefined ? {} : { servername }),
      ...(opts.ca === undefined ? {} : { ca: typeof opts.ca === 'string' ? opts.ca : [...opts.ca] }),
      ...(isAddress ? {} : { lookup: guardedLookup(guardOpts(opts)) }),
    });
    const settle = (result: Handshake): void => {
      signal.removeEventListener('abort', onAbort);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      if (!result.ok) socket.destroy();
      resolve(result);
    };
    const onSecure = (): void => {
      // why: an error after the handshake (a reset while we read the certificate) must not crash the process.
      socket.on('error', () => undefined);
      settle({ ok: true, socket });
    };
    const onError = (err: Error): void => settle({ ok: false, reason: reasonOfError(err) });
    const onAbort = (): void => settle({ ok: false, reason: 'timeout' });
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function guardOpts(opts: SslCheckOpts): { resolver?: Resolver; allowLocal?: boolean; signal?: AbortSignal } {
  return {
    ...(opts.resolver ? { resolver: opts.resolver } : {}),
    ...(opts.allowLocal ? { allowLocal: true } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/** Read the certificate, protocol and cipher of a finished handshake. */
function describeConnection(socket: TLSSocket, now: number): SslData {
  const cert = socket.getPeerCertificate(false) as Partial<DetailedPeerCertificate>;
  const data: SslData = certificateFields(cert);
  // why: with rejectUnauthorized false Node still verifies chain and host name and reports the outcome in
  // `authorized` / `authorizationError`; the window is checked again in case the chain check did not run.
  const inWindow =
    data.ssl_not_before !== undefined &&
    data.ssl_expires !== undefined &&
    data.ssl_not_before * 1000 <= now &&
    now <= data.ssl_expires * 1000;
  // `authorizationError` is null (not undefined) when verification passed.
  data.ssl_valid = socket.authorized && !socket.authorizationError && inWindow;
  const protocol = socket.getProtocol();
  if (protocol) data.ssl_protocol = protocol;
  const cipher = socket.getCipher() as { name?: string } | undefined;
  if (cipher?.name) {
    data.ssl_cipher = cipher.name;
    const bits = cipherBits(cipher.name);
    if (bits !== undefined) data.ssl_cipher_bits = bits;
  }
  return data;
}

/** The fields read from the certificate itself. */
export function certificateFields(cert: Partial<DetailedPeerCertificate>): SslData {
  const data: SslData = {};
  const subjectCn = first(cert.subject?.CN);
  if (subjectCn) data.ssl_subject_cn = subjectCn;
  const issuerO = first(cert.issuer?.O);
  if (issuerO) data.ssl_issuer = issuerO;
  const issuerCn = first(cert.issuer?.CN);
  if (issuerCn) data.ssl_issuer_cn = issuerCn;
  const expires = unixSeconds(cert.valid_to);
  if (expires !== undefined) data.ssl_expires = expires;
  const notBefore = unixSeconds(cert.valid_from);
  if (notBefore !== undefined) data.ssl_not_before = notBefore;
  const san = parseSubjectAltName(cert.subjectaltname);
  if (san.length > 0) data.ssl_san = san;
  if (cert.serialNumber) data.ssl_serial = cert.serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
  const version = cert.raw ? x509Version(cert.raw) : undefined;
  if (version !== undefined) data.ssl_version = version;
  if (cert.fingerprint256) data.ssl_fingerprint = `SHA256:${cert.fingerprint256.toUpperCase()}`;
  return data;
}

/** A name attribute may be repeated (Node gives an array then): the first value counts. */
function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Node's `valid_to` form (`Nov 23 10:22:12 2027 GMT`) as integer Unix seconds. */
function unixSeconds(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** `DNS:a, IP Address:127.0.0.1, DNS:"quoted, name"` → names and addresses; other kinds (URI, email) are skipped. */
export function parseSubjectAltName(text: string | undefined): string[] {
  if (!text) return [];
  const names: string[] = [];
  for (const m of text.matchAll(/(?:^|, )(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[2] ?? '';
    names.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return names;
}

/**
 * The secret-key bits of a cipher suite, from its name (Node's `getCipher()` has no bit count): AES/Camellia/ARIA
 * 128 or 256, ChaCha20 256, 3DES 112 (its effective strength, as OpenSSL reports it); undefined when unknown.
 */
export function cipherBits(name: string): number | undefined {
  const upper = name.toUpperCase();
  const sized = /(?:AES|CAMELLIA|ARIA)[_-]?(128|256)/.exec(upper);
  if (sized) return Number(sized[1]);
  if (upper.includes('CHACHA20')) return 256;
  if (upper.includes('3DES') || upper.includes('DES-CBC3')) return 112;
  return undefined;
}

/** The X.509 version from the DER certificate: `[0] EXPLICIT INTEGER` in the TBSCertificate, absent = v1. */
export function x509Version(der: Uint8Array): number | undefined {
  const outer = readHeader(der, 0); // Certificate SEQUENCE
  if (outer?.tag !== 0x30) return undefined;
  const tbs = readHeader(der, outer.body); // TBSCertificate SEQUENCE
  if (tbs?.tag !== 0x30) return undefined;
  const firstField = readHeader(der, tbs.body);
  if (firstField === undefined) return undefined;
  if (firstField.tag !== 0xa0) return 1;
  const int = readHeader(der, firstField.body);
  if (int?.tag !== 0x02 || int.length < 1 || int.length > 2) return undefined;
  let value = 0;
  for (let i = 0; i < int.length; i += 1) value = value * 256 + (der[int.body + i] ?? 0);
  return value + 1;
}

/** One DER tag-length header at `at`: its tag, the body offset and length. */
function readHeader(der: Uint8Array, at: number): { tag: number; body: number; length: number } | undefined {
  const tag = der[at];
  const len = der[at + 1];
  if (tag === undefined || len === undefined) return undefined;
  if (len < 0x80) return { tag, body: at + 2, length: len };
  const count = len & 0x7f;
  if (count === 0 || count > 4) return undefined;
  let length = 0;
  for (let i = 0; i < count; i += 1) {
    const b = der[at + 2 + i];
    if (b === undefined) return undefined;
    length = length * 256 + b;
  }
  return { tag, body: at + 2 + count, length };
}
