/** Agents for overlay networks: their SOCKS5 proxy, with name resolution left to the proxy. */
import type { Agent } from 'node:http';
import { SocksProxyAgent } from 'socks-proxy-agent';

/** An HTTP(S)/WebSocket agent through a SOCKS5 proxy (`socks5://host:port`); the proxy resolves host names. */
export function socksAgent(proxyUrl: string): Agent {
  // socks5h: the proxy resolves the name (an onion name has no DNS record anyway).
  return new SocksProxyAgent(proxyUrl.replace(/^socks5:/, 'socks5h:'));
}
