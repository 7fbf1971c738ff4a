/** How a service reaches a relay on its network: the `networks:` block as connect options. */
import type { NetworksConfig } from '../../core/config/service.js';
import type { Network } from '../../models/network.js';
import type { Resolver } from '../../utils/net/resolve.js';
import type { ConnectOpts } from './connection.js';

/** What varies per service and call. */
export interface NetworkConnectExtras {
  readonly allowInsecure?: boolean;
  readonly resolver?: Resolver | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Default: the network's `timeout`. */
  readonly connectTimeoutMs?: number;
}

/** Connect options for a relay on `network`: its proxy and timeout, and the local network only when enabled. */
export function networkConnectOpts(
  network: Network,
  networks: NetworksConfig,
  extras: NetworkConnectExtras = {},
): ConnectOpts {
  const net = networks[network];
  return {
    network,
    ...(net.proxy_url ? { proxyUrl: net.proxy_url } : {}),
    allowLocal: networks.local.enabled,
    allowInsecure: extras.allowInsecure === true,
    connectTimeoutMs: extras.connectTimeoutMs ?? net.timeout * 1000,
    ...(extras.resolver ? { resolver: extras.resolver } : {}),
    ...(extras.signal ? { signal: extras.signal } : {}),
  };
}
