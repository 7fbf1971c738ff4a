/**
 * Name resolution with the connection-time guard (docs/design/security.md): a clearnet name that resolves to a local address
 * is refused before any connection, unless the `local` network is enabled. The resolver is injected.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { isLocalIPv4, isLocalIPv6, parseIPv4, parseIPv6 } from '../../models/ip.js';

/** One resolved address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolve a host name to its addresses. */
export type Resolver = (host: string, opts: { signal?: AbortSignal }) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo). */
export const systemResolver: Resolver = async (host) => {
  const all = await dnsLookup(host, { all: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Whether an IP literal is loopback, private, link-local or another special-purpose address. */
export function isLocalAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return isLocalIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 === undefined ? true : isLocalIPv6(v6);
}

/** Raised when a name resolves to a local address that may not be reached (code `ELOCALADDR`). */
export class LocalAddressError extends Error {
  override name = 'LocalAddressError';
  readonly code = 'ELOCALADDR';
}

/** Options of the guarded lookup. */
export interface GuardOpts {
  readonly resolver?: Resolver;
  /** The `local` network is enabled: local addresses are allowed. */
  readonly allowLocal?: boolean;
  readonly signal?: AbortSignal;
}

/** Resolve `host` and refuse it when any address is local (and local is not allowed). */
export async function resolveGuarded(host: string, opts: GuardOpts = {}): Promise<readonly ResolvedAddress[]> {
  const resolver = opts.resolver ?? systemResolver;
  const addresses = await resolver(host, opts.signal ? { signal: opts.signal } : {});
  if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  if (!opts.allowLocal) {
    const local = addresses.find((a) => isLocalAddress(a.address));
    if (local) throw new LocalAddressError(`${host} resolves to the local address ${local.address}`);
  }
  return addresses;
}

/** A `lookup` for net/tls/http options that goes through `resolveGuarded`. */
export function guardedLookup(opts: GuardOpts): LookupFunction {
  return (hostname, options, callback) => {
    resolveGuarded(hostname, opts).then(
      (addresses) => {
        if (options.all) {
          callback(
            null,
            addresses.map((a) => ({ address: a.address, family: a.family })),
          );
          return;
        }
        const first = addresses[0] as ResolvedAddress;
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
