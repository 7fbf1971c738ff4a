/**
 * From a relay's checks to what is kept: content-addressed metadata rows (`{data, logs}`, failures too), a
 * verdict decided after the retries, and the observation the 30166 event is built from.
 */
import { buildMetadata, type MetadataType, type RelayMetadata } from '../../models/metadata.js';
import type { Relay } from '../../models/relay.js';
import type { RelayObservation } from '../../nips/nip66/discovery.js';
import type { RelayChecks } from './checks.js';

/** The fields that are floats by definition (serialised as Python prints floats). */
export const FLOAT_KEYS: ReadonlySet<string> = new Set(['geo_lat', 'geo_lon']);

/** A relay's state after a run: online, or why not (beyond the reference). */
export type Verdict =
  | 'online'
  | 'offline'
  | 'auth-required'
  | 'payment-required'
  | 'blocked'
  | 'not-a-relay'
  | 'unknown';

/** The metadata rows of the stored check types. */
export function metadataRows(
  relay: Relay,
  checks: RelayChecks,
  store: Readonly<Record<MetadataType, boolean>>,
  generatedAt: number,
): RelayMetadata[] {
  return (Object.entries(checks) as [MetadataType, unknown][])
    .filter(([type]) => store[type])
    .map(([type, result]) => ({
      relay,
      metadata: buildMetadata(type, result, { floatKeys: FLOAT_KEYS }),
      generatedAt,
    }));
}

/** The verdict of a run (after retries): the socket decides; NIP-11 alone only says the host is up. */
export function verdictOf(checks: RelayChecks): { verdict: Verdict; reason?: string } {
  const rtt = checks.nip66_rtt;
  if (!rtt) return checks.nip11_info?.logs.success ? { verdict: 'online' } : { verdict: 'unknown' };
  const { logs } = rtt;
  if (!logs.open_success) {
    const reason = logs.open_reason ?? 'unknown';
    if (reason === 'not-nostr') return { verdict: 'not-a-relay', reason };
    return reason === 'auth-required' || reason === 'payment-required'
      ? { verdict: reason }
      : { verdict: 'offline', reason };
  }
  const read = logs.read_success ? undefined : logs.read_reason;
  if (read === 'auth-required' || read === 'payment-required') return { verdict: read };
  if (read === 'refused') return { verdict: 'blocked', reason: read };
  // the socket opened but nothing was ever answered: not a working relay
  if (read !== undefined && read !== 'no events' && !logs.write_success) return { verdict: 'offline', reason: read };
  return { verdict: 'online' };
}

/** The observation a 30166 event is built from: the included checks that succeeded. */
export function observationOf(
  relay: Relay,
  checks: RelayChecks,
  include: Readonly<Record<MetadataType, boolean>>,
): RelayObservation {
  const good = <T>(type: MetadataType, r: { data: T; logs: { success: boolean } } | undefined): T | undefined =>
    include[type] && r?.logs.success ? r.data : undefined;
  const nip11 = good('nip11_info', checks.nip11_info);
  const ssl = good('nip66_ssl', checks.nip66_ssl);
  const dns = good('nip66_dns', checks.nip66_dns);
  const http = good('nip66_http', checks.nip66_http);
  const geo = good('nip66_geo', checks.nip66_geo);
  const net = good('nip66_net', checks.nip66_net);
  return {
    url: relay.url,
    network: relay.network,
    ...(nip11 ? { nip11 } : {}),
    ...(include.nip66_rtt && checks.nip66_rtt ? { rtt: checks.nip66_rtt } : {}),
    ...(ssl ? { ssl } : {}),
    ...(dns ? { dns } : {}),
    ...(http ? { http } : {}),
    ...(geo ? { geo } : {}),
    ...(net ? { net } : {}),
  };
}
