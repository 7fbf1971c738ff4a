/**
 * Publishing signed events to a set of relays: one connection per relay, every event sent, the answers counted.
 * Failures are data (logged and counted by the caller); publishing never fails a cycle.
 */
import type { NetworksConfig } from '../../core/config/service.js';
import type { NostrEvent } from '../../models/event.js';
import { parseRelayUrl } from '../../models/relay-url.js';
import { connectRelay } from '../../nips/nip01/connection.js';
import { networkConnectOpts } from '../../nips/nip01/network-opts.js';
import { publishEvent } from '../../nips/nip01/publish.js';

/** The outcome per event id: how many relays accepted it, and the failures by reason. */
export interface PublishReport {
  readonly accepted: Map<string, number>;
  readonly failures: Map<string, number>;
}

/** Options: the networks block (proxies, local) and a deadline per relay. */
export interface PublishOpts {
  readonly networks: NetworksConfig;
  readonly allowInsecure?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Publish `events` to every relay of `urls` concurrently. */
export async function publishToRelays(
  urls: readonly string[],
  events: readonly NostrEvent[],
  opts: PublishOpts,
): Promise<PublishReport> {
  const report: PublishReport = { accepted: new Map(), failures: new Map() };
  const fail = (reason: string): void => void report.failures.set(reason, (report.failures.get(reason) ?? 0) + 1);
  await Promise.all(
    [...new Set(urls)].map(async (url) => {
      const parsed = parseRelayUrl(url, { allowLocal: opts.networks.local.enabled });
      if (!parsed.ok) return fail('invalid');
      const net = opts.networks[parsed.value.network];
      if (!net.enabled) return fail('refused');
      const c = await connectRelay(
        parsed.value.url,
        networkConnectOpts(parsed.value.network, opts.networks, {
          allowInsecure: opts.allowInsecure === true,
          signal: opts.signal,
          ...(opts.timeoutMs !== undefined ? { connectTimeoutMs: opts.timeoutMs } : {}),
        }),
      );
      if (!c.ok) return fail(c.reason);
      await using conn = c.value;
      for (const event of events) {
        const answer = await publishEvent(conn, event, {
          timeoutMs: opts.timeoutMs ?? net.timeout * 1000,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (!answer.ok) fail(answer.reason);
        else if (!answer.value.accepted) fail(answer.value.prefix ?? 'rejected');
        else report.accepted.set(event.id, (report.accepted.get(event.id) ?? 0) + 1);
      }
    }),
  );
  return report;
}
