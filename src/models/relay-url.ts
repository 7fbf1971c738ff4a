/** Relay URL canonical form: `normalizeRelayUrl` turns untrusted input into it or says why not. */
import { domainToASCII } from 'node:url';
import { formatIPv6, parseIPv6 } from './ip.js';
import { detectNetwork, type Network } from './network.js';
import type { RelayUrl } from './relay.js';
import { fail, ok, type Result } from './result.js';

/** Options of normalisation: `allowLocal` accepts loopback/LAN hosts (the opt-in `local` network). */
export interface RelayUrlOpts {
  readonly allowLocal?: boolean;
}

/** A canonical relay URL and its parts. */
export interface ParsedRelayUrl {
  readonly url: RelayUrl;
  readonly network: Network;
  readonly scheme: 'ws' | 'wss';
  readonly host: string;
  readonly port: number | null;
  readonly path: string;
}

/** Raised by `normalizeRelayUrl` for input that cannot be a relay URL; the message says why. */
export class InvalidRelayUrlError extends Error {
  override name = 'InvalidRelayUrlError';
}

/** The maximum length of a canonical relay URL. */
export const MAX_RELAY_URL_LENGTH = 2048;

const URI = /^([^:/?#]+):\/\/([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?$/s;
const SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9._~:-]*[A-Za-z0-9])?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected
const BAD_HOST_CHAR = /[\s\u0000-\u001f\u007f\\]/;

/** Normalise `input` to the canonical relay URL; throws InvalidRelayUrlError with a readable reason. */
export function normalizeRelayUrl(input: string, opts: RelayUrlOpts = {}): RelayUrl {
  const r = parseRelayUrl(input, opts);
  if (!r.ok) throw new InvalidRelayUrlError(`${r.reason}: ${JSON.stringify(input.slice(0, 200))}`);
  return r.value.url;
}

/** Normalise `input` without throwing: the canonical URL with its parts, or the reason it is not one. */
export function parseRelayUrl(input: string, opts: RelayUrlOpts = {}): Result<ParsedRelayUrl> {
  const text = input.trim();
  if (text.includes('\0')) return fail('null byte in URL');
  const m = URI.exec(text);
  if (!m) return fail('not a URL with a scheme and a host');
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'ws' && scheme !== 'wss') return fail(`scheme must be ws or wss, not ${scheme}`);
  const authority = parseAuthority(m[2] ?? '');
  if (!authority.ok) return authority;
  const { host, port, ipv6 } = authority.value;
  const network = detectNetwork(host);
  if (network === 'unknown') return fail('invalid host');
  if (network === 'local' && !opts.allowLocal) return fail('local addresses not allowed');
  const forced: 'ws' | 'wss' = network === 'clearnet' ? 'wss' : network === 'local' ? scheme : 'ws';
  const effectivePort = port === (forced === 'wss' ? 443 : 80) ? null : port;
  const path = normalizePath(m[3] ?? '');
  const hostText = ipv6 ? `[${host}]` : host;
  const url = `${forced}://${hostText}${effectivePort === null ? '' : `:${effectivePort}`}${path}`;
  if (url.length > MAX_RELAY_URL_LENGTH) return fail(`URL longer than ${MAX_RELAY_URL_LENGTH} characters`);
  return ok({ url: url as RelayUrl, network, scheme: forced, host, port: effectivePort, path });
}

interface Authority {
  host: string;
  port: number | null;
  ipv6: boolean;
}

function parseAuthority(raw: string): Result<Authority> {
  const hostPort = raw.slice(raw.lastIndexOf('@') + 1);
  let hostText: string;
  let portText = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return fail('unclosed IPv6 bracket');
    hostText = hostPort.slice(1, close);
    const rest = hostPort.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return fail('invalid host');
    portText = rest.slice(1);
    const v6 = parseIPv6(hostText);
    if (v6 === undefined) return fail('invalid IPv6 address');
    const port = parsePort(portText);
    return port.ok ? ok({ host: formatIPv6(v6), port: port.value, ipv6: true }) : port;
  }
  const colon = hostPort.lastIndexOf(':');
  hostText = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
  portText = colon >= 0 ? hostPort.slice(colon + 1) : '';
  const host = cleanHost(hostText);
  if (!host.ok) return host;
  // An IPv6 literal must be bracketed; one smuggled in unbracketed or percent-encoded would not round-trip.
  if (host.value.includes(':')) return fail('invalid host', 'IPv6 literals must be written in brackets');
  const port = parsePort(portText);
  return port.ok ? ok({ host: host.value, port: port.value, ipv6: false }) : port;
}

function cleanHost(raw: string): Result<string> {
  let host: string;
  try {
    host = decodeURIComponent(raw);
  } catch {
    return fail('invalid percent-encoding in host');
  }
  if (BAD_HOST_CHAR.test(host)) return fail('whitespace, control character or backslash in host');
  host = host.replace(/\.+$/, '').toLowerCase();
  if (host === '') return fail('missing host');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: testing for ASCII only
  if (!/^[\u0000-\u007f]*$/.test(host)) {
    const ascii = domainToASCII(host);
    if (ascii === '') return fail('invalid internationalised host name');
    host = ascii;
  }
  return ok(host);
}

function parsePort(text: string): Result<number | null> {
  if (text === '') return ok(null);
  if (!/^\d{1,5}$/.test(text)) return fail('invalid port');
  const port = Number(text);
  return port >= 1 && port <= 65535 ? ok(port) : fail('port out of range 1-65535');
}

/** Resolve dot segments, normalise percent-encoding case, collapse slashes; drop the path if a segment is odd. */
function normalizePath(raw: string): string {
  const cased = raw.replace(/%[0-9a-fA-F]{2}/g, (h) => h.toUpperCase());
  const out: string[] = [];
  for (const seg of cased.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  if (out.length === 0) return '';
  for (const seg of out) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      return '';
    }
    if (!SEGMENT.test(decoded)) return '';
  }
  return `/${out.join('/')}`;
}
