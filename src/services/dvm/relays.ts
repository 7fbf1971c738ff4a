/**
 * The DVM's relay I/O: open its configured relays (clearnet, plus loopback/LAN only when allowed), fetch the
 * job requests since a time (paging back with `until` so a backlog larger than one page is not cut), and
 * publish one signed event to every open relay.
 */
import type { NostrEvent } from '../../models/event.js';
import { parseRelayUrl } from '../../models/relay-url.js';
import { connectRelay, type RelayConnection } from '../../nips/nip01/connection.js';
import { publishEvent } from '../../nips/nip01/publish.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import type { EventSigner } from '../../nips/signer.js';
import type { Resolver } from '../../utils/net/resolve.js';

/** How to reach the relays. */
export interface RelayOpts {
  readonly allowLocal: boolean;
  readonly allowInsecure: boolean;
  readonly timeoutMs: number;
  /** Answers NIP-42 AUTH challenges. */
  readonly signer: EventSigner;
  readonly resolver?: Resolver | undefined;
  readonly signal: AbortSignal;
}

/** The relays that opened, and why the others did not (url → reason). */
export interface OpenRelays extends AsyncDisposable {
  readonly connections: readonly RelayConnection[];
  readonly failures: ReadonlyMap<string, string>;
}

/** Open every relay of `urls` concurrently; failures are data. Dispose the result to close them. */
export async function openRelays(urls: readonly string[], opts: RelayOpts): Promise<OpenRelays> {
  const failures = new Map<string, string>();
  const opened = await Promise.all(
    [...new Set(urls)].map(async (url) => {
      const parsed = parseRelayUrl(url, { allowLocal: opts.allowLocal });
      if (!parsed.ok) return void failures.set(url, 'invalid');
      const c = await connectRelay(parsed.value.url, {
        network: parsed.value.network,
        allowLocal: opts.allowLocal,
        allowInsecure: opts.allowInsecure,
        connectTimeoutMs: opts.timeoutMs,
        signer: opts.signer,
        signal: opts.signal,
        ...(opts.resolver ? { resolver: opts.resolver } : {}),
      });
      if (!c.ok) return void failures.set(url, c.reason);
      return c.value;
    }),
  );
  const connections = opened.filter((c): c is RelayConnection => c !== undefined);
  return {
    connections,
    failures,
    async [Symbol.asyncDispose]() {
      await Promise.all(connections.map((c) => c[Symbol.asyncDispose]()));
    },
  };
}

/** What to fetch. */
export interface FetchOpts {
  readonly kind: number;
  readonly since: number;
  /** Events asked for per REQ (relays may cap it lower; pages go back with `until` until nothing new comes). */
  readonly pageSize: number;
  /** Stop after this many distinct events (a bound on memory). */
  readonly maxEvents: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** The requests one relay holds since `since`, newest first, deduplicated; `truncated` when `maxEvents` cut it. */
export async function fetchRequests(
  conn: RelayConnection,
  opts: FetchOpts,
): Promise<{ events: NostrEvent[]; truncated: boolean; error?: string }> {
  const seen = new Map<string, NostrEvent>();
  let until: number | undefined;
  while (seen.size < opts.maxEvents && !opts.signal.aborted) {
    const filter = {
      kinds: [opts.kind],
      since: opts.since,
      limit: opts.pageSize,
      ...(until === undefined ? {} : { until }),
    };
    const sub = subscribe(conn, [filter], { idleTimeoutMs: opts.timeoutMs, signal: opts.signal });
    let received = 0;
    let fresh = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for await (const event of sub) {
      received += 1;
      oldest = Math.min(oldest, event.created_at);
      if (seen.has(event.id) || seen.size >= opts.maxEvents) continue;
      seen.set(event.id, event);
      fresh += 1;
    }
    if (sub.outcome && !sub.outcome.ok)
      return { events: [...seen.values()], truncated: false, error: sub.outcome.reason };
    // why: relays cap `limit` below ours (strfry: 500), so a short page does not prove the end; a page with
    // nothing new does (or more events share one second than a page holds, and paging cannot go further)
    if (received === 0 || fresh === 0 || oldest <= opts.since) break;
    until = oldest;
  }
  return { events: [...seen.values()], truncated: seen.size >= opts.maxEvents };
}

/** How a publish went across the relays. */
export interface PublishOutcome {
  readonly accepted: number;
  /** Relays that answered OK false. */
  readonly rejected: number;
  /** Relays that did not answer (closed, timed out). */
  readonly failed: number;
}

/** Send one signed event to every connection and wait for their OKs. */
export async function publishToAll(
  connections: readonly RelayConnection[],
  event: NostrEvent,
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<PublishOutcome> {
  const answers = await Promise.all(connections.map((c) => publishEvent(c, event, opts)));
  let accepted = 0;
  let rejected = 0;
  for (const a of answers) {
    if (a.ok && a.value.accepted) accepted += 1;
    else if (a.ok) rejected += 1;
  }
  return { accepted, rejected, failed: answers.length - accepted - rejected };
}
