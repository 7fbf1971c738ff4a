/**
 * A `Resolver` that asks given DNS servers directly (c-ares through `dns.promises.Resolver`) instead of the
 * system's getaddrinfo: A and AAAA in parallel, per-query timeout, cancellable by a signal.
 */
import { Resolver as DnsResolver } from 'node:dns/promises';
import type { ResolvedAddress, Resolver } from './resolve.js';

/** Options of `createDnsResolver`. */
export interface DnsResolverOpts {
  /** Timeout of one query, milliseconds (one try per server); default 5,000. */
  readonly timeoutMs?: number;
}

// An answer without records of one family (or a name unknown to it) is not a failure while the other has some.
const EMPTY_CODES = new Set(['ENODATA', 'ENOTFOUND']);

/** A resolver that queries `servers` (`'1.1.1.1'`, `'127.0.0.1:5353'`, `'[::1]:53'`) for A and AAAA records. */
export function createDnsResolver(servers: readonly string[], opts: DnsResolverOpts = {}): Resolver {
  const timeout = opts.timeoutMs ?? 5_000;
  const dns = new DnsResolver({ timeout, tries: 1 });
  dns.setServers([...servers]); // throws here, not at the first lookup, when a server is malformed
  const configured = dns.getServers();
  return async (host, { signal } = {}) => {
    if (signal?.aborted) throw timeoutError(host, signal.reason);
    // why: `cancel()` ends every query of a channel, so each lookup gets its own to leave concurrent ones alone.
    const channel = new DnsResolver({ timeout, tries: 1 });
    channel.setServers(configured);
    const onAbort = (): void => channel.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [v4, v6] = await Promise.allSettled([channel.resolve4(host), channel.resolve6(host)]);
      if (signal?.aborted) throw timeoutError(host, signal.reason);
      return unite(host, v4, v6);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
}

function unite(
  host: string,
  v4: PromiseSettledResult<string[]>,
  v6: PromiseSettledResult<string[]>,
): ResolvedAddress[] {
  for (const r of [v4, v6]) {
    if (r.status === 'rejected' && !EMPTY_CODES.has((r.reason as { code?: string } | null)?.code ?? '')) {
      throw r.reason;
    }
  }
  const addresses: ResolvedAddress[] = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
  ];
  if (addresses.length === 0) {
    throw Object.assign(new Error(`${host} has no A or AAAA record`), { code: 'ENOTFOUND', hostname: host });
  }
  return addresses;
}

function timeoutError(host: string, cause: unknown): Error {
  return Object.assign(new Error(`resolving ${host} was aborted`, { cause }), { name: 'TimeoutError' });
}
