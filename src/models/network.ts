/** Networks a relay can live on, and detection of a host's network. */
import { isLocalIPv4, isLocalIPv6, parseIPv4, parseIPv6 } from './ip.js';

/** A network a relay URL can belong to. `local` is accepted only when a deployment enables it. */
export type Network = 'clearnet' | 'tor' | 'i2p' | 'loki' | 'local';

/** Every network, in configuration order. */
export const NETWORKS: readonly Network[] = ['clearnet', 'tor', 'i2p', 'loki', 'local'];

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const ONION = /^([a-z2-7]{56}|[a-z2-7]{16})$/;
const B32_52 = /^[a-z2-7]{52}$/;

/** Whether `host` (lower case, no trailing dot) is a valid DNS host name with at least one dot. */
export function isValidHostname(host: string): boolean {
  if (host.length > 253 || !host.includes('.')) return false;
  const labels = host.split('.');
  if (!labels.every((l) => LABEL.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** The network of a host: a lower-case name or an IP literal (IPv6 without brackets). */
export function detectNetwork(host: string): Network | 'unknown' {
  const h = host.toLowerCase();
  if (h.endsWith('.onion')) return detectOnion(h);
  if (h.endsWith('.i2p')) {
    const first = h.split('.')[0] ?? '';
    if (h.endsWith('.b32.i2p') && h.split('.').length === 3 && B32_52.test(first)) return 'i2p';
    return isValidHostname(h) ? 'i2p' : 'unknown';
  }
  if (h.endsWith('.loki')) {
    const labels = h.split('.');
    return labels.length === 2 && B32_52.test(labels[0] ?? '') ? 'loki' : 'unknown';
  }
  if (h === 'localhost' || h === 'localhost.localdomain') return 'local';
  const v4 = parseIPv4(h);
  if (v4 !== undefined) return isLocalIPv4(v4) ? 'local' : 'clearnet';
  const v6 = parseIPv6(h);
  if (v6 !== undefined) return isLocalIPv6(v6) ? 'local' : 'clearnet';
  return isValidHostname(h) ? 'clearnet' : 'unknown';
}

function detectOnion(h: string): Network | 'unknown' {
  const labels = h.split('.');
  const service = labels[labels.length - 2] ?? '';
  if (!ONION.test(service)) return 'unknown';
  const subs = labels.slice(0, -2);
  return subs.every((l) => LABEL.test(l)) ? 'tor' : 'unknown';
}
