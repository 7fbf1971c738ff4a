/**
 * Monitor: publishes its profile, relay list and announcement when due, then checks
 * every due relay (leased, oldest first, in chunks, per-network limits), stores each check as content-addressed
 * metadata, publishes one 30166 per relay that produced a result, and records a verdict per relay.
 */
import { enabledNetworks } from '../../core/config/service.js';
import { claimDueRelays, cleanupLeasedRelays, leaseOwner, releaseLeases } from '../../core/db/relay-leases.js';
import { getServiceState, insertRelayMetadataCascade, upsertServiceState } from '../../core/db/store.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import type { MetadataType } from '../../models/metadata.js';
import type { Network } from '../../models/network.js';
import type { Relay } from '../../models/relay.js';
import { buildDiscoveryEvent } from '../../nips/nip66/discovery.js';
import type { DnsLookups } from '../../nips/nip66/dns.js';
import type { EventSigner, EventTemplate } from '../../nips/signer.js';
import type { GeoReaders } from '../../utils/geoip.js';
import { createLimiter, type Limiter } from '../../utils/limiter.js';
import type { Resolver } from '../../utils/net/resolve.js';
import { buildAnnouncement, buildProfile, buildRelayList } from './announcements.js';
import { checkRelay, connectOptsFor, type RelayChecks } from './checks.js';
import type { MonitorConfig } from './config.js';
import { type Capabilities, probeCapabilities } from './probes.js';
import { publishToRelays } from './publisher.js';
import { setCheckpoints } from './queries.js';
import { metadataRows, observationOf, verdictOf } from './results.js';

/** The monitor's collaborators: its signing key (from the env var named in config) and an optional resolver. */
export interface MonitorDeps extends ServiceDeps {
  readonly signer: EventSigner;
  readonly resolver?: Resolver;
  /** GeoIP databases opened by the composition root (absent = geo/net not computed). */
  readonly geo?: GeoReaders;
  /** DNS queries of the dns check (tests inject them). */
  readonly dnsLookups?: DnsLookups;
  readonly owner?: string;
}

type Checked = { relay: Relay; checks: RelayChecks; capabilities?: Capabilities };

/** Build the monitor service. */
export function createMonitor(deps: MonitorDeps, config: MonitorConfig): Service {
  const owner = deps.owner ?? leaseOwner();
  const networks = enabledNetworks(config.networks);
  const log = deps.logger;
  const m = deps.metrics;
  const publishing = (extra: readonly string[]) => [...new Set([...config.publishing.relays, ...extra])];

  async function publish(templates: EventTemplate[], relays: readonly string[], signal: AbortSignal) {
    const events = templates.map((t) => deps.signer.sign(t));
    const report = await publishToRelays(relays, events, { networks: config.networks, signal });
    for (const [reason, n] of report.failures) m.inc(`publish_failed_${reason.replaceAll('-', '_')}`, n);
    m.inc(
      'events_published',
      [...report.accepted.values()].reduce((a, b) => a + b, 0),
    );
    return { events, report };
  }

  async function announce(signal: AbortSignal): Promise<void> {
    const now = nowSeconds(deps);
    const due = [
      { key: 'profile', section: config.profile, build: () => buildProfile(config.profile, now) },
      { key: 'relay_list', section: config.relay_list, build: () => buildRelayList(config.publishing.relays, now) },
      { key: 'announcement', section: config.announcement, build: () => buildAnnouncement(config, now) },
    ];
    for (const { key, section, build } of due) {
      const relays = publishing(section.relays);
      if (!section.enabled || relays.length === 0 || signal.aborted) continue;
      const [state] = await getServiceState(deps.sql, 'monitor', 'checkpoint', key);
      if (state && now - Number(state.stateValue.timestamp ?? 0) < section.interval) continue;
      const { events, report } = await publish([build()], relays, signal);
      // checkpoint only once at least one relay took it, so a failed publish is retried next cycle
      if ((report.accepted.get(events[0]?.id ?? '') ?? 0) > 0) {
        await upsertServiceState(deps.sql, [
          { serviceName: 'monitor', stateType: 'checkpoint', stateKey: key, stateValue: { timestamp: now } },
        ]);
        log.info('published', { event: key });
      } else log.warn('publish_failed', { event: key, reasons: [...report.failures.keys()].join(',') });
    }
  }

  async function checkChunk(relays: Relay[], limiters: Map<Network, Limiter>, signal: AbortSignal): Promise<Checked[]> {
    return Promise.all(
      relays.map(async (relay) => {
        const limiter = limiters.get(relay.network) as Limiter;
        const checks = await limiter(() =>
          checkRelay(relay, {
            config,
            signer: deps.signer,
            signal,
            ...(deps.resolver ? { resolver: deps.resolver } : {}),
            ...(deps.geo ? { geo: deps.geo } : {}),
            ...(deps.dnsLookups ? { dnsLookups: deps.dnsLookups } : {}),
          }),
        );
        const opened = checks.nip66_rtt?.logs.open_success === true;
        if (!config.processing.probes || !opened || signal.aborted) return { relay, checks };
        const info = checks.nip11_info?.logs.success ? checks.nip11_info.data : undefined;
        const net = config.networks[relay.network];
        const connect = connectOptsFor(relay, {
          config,
          signal,
          ...(deps.resolver ? { resolver: deps.resolver } : {}),
        });
        const capabilities = await limiter(() =>
          probeCapabilities(relay.url, connect, deps.signer, info, net.timeout * 1000),
        );
        return { relay, checks, capabilities };
      }),
    );
  }

  async function storeChunk(checked: Checked[], signal: AbortSignal): Promise<void> {
    const now = nowSeconds(deps);
    const store = config.processing.store as Record<MetadataType, boolean>;
    const rows = checked.flatMap(({ relay, checks }) => metadataRows(relay, checks, store, now));
    await insertRelayMetadataCascade(deps.sql, rows, deps.batchSize ? { batchSize: deps.batchSize } : {});
    const verdicts = checked.map(({ relay, checks, capabilities }) => ({
      url: relay.url,
      timestamp: now,
      ...verdictOf(checks),
      ...(capabilities ? { capabilities } : {}),
    }));
    for (const v of verdicts) m.inc(`verdict_${v.verdict.replaceAll('-', '_')}`);
    const relays = publishing(config.discovery.relays);
    if (config.discovery.enabled && relays.length > 0) {
      const include = config.discovery.include as Record<MetadataType, boolean>;
      const templates = checked
        .filter(({ checks }) => Object.keys(checks).length > 0)
        .map(({ relay, checks }) => buildDiscoveryEvent(observationOf(relay, checks, include), now));
      await publish(templates, relays, signal);
    }
    await setCheckpoints(deps.sql, verdicts);
  }

  return {
    name: 'monitor',
    async cleanup() {
      await cleanupLeasedRelays(deps.sql, { service: 'monitor', owner }, nowSeconds(deps), log, 'checkpoints_cleaned');
    },
    async cycle(signal) {
      await announce(signal);
      const limiters = new Map(networks.map((n) => [n, createLimiter(config.networks[n].max_tasks)]));
      const max = config.processing.max_relays ?? Number.POSITIVE_INFINITY;
      const totals = { total: 0, succeeded: 0, failed: 0 };
      try {
        while (!signal.aborted && totals.total < max && networks.length > 0) {
          const now = nowSeconds(deps);
          const relays = await claimDueRelays(deps.sql, {
            service: 'monitor',
            stateType: 'checkpoint',
            // due once the last check is discovery.interval old (timestamp ≤ now − interval)
            dueBefore: now - config.discovery.interval + 1,
            networks,
            now,
            limit: Math.min(config.processing.chunk_size, max - totals.total),
            owner,
            leaseSeconds: leaseFor(config, networks),
          });
          if (relays.length === 0) break;
          const checked = await checkChunk(relays, limiters, signal);
          if (signal.aborted) break; // checks cut short say nothing about the relays; they stay due
          await storeChunk(checked, signal);
          totals.total += relays.length;
          const online = checked.filter(({ checks }) => verdictOf(checks).verdict === 'online').length;
          totals.succeeded += online;
          totals.failed += relays.length - online;
        }
      } finally {
        await releaseLeases(deps.sql, 'monitor', owner);
      }
      m.setGauge('total', totals.total);
      m.setGauge('succeeded', totals.succeeded);
      m.setGauge('failed', totals.failed);
      return totals;
    },
  };
}

// A lease outlives the slowest chunk: NIP-11 + RTT (three phases) + the parallel checks, each with its retries.
function leaseFor(config: MonitorConfig, networks: readonly Network[]): number {
  const chunk = config.processing.chunk_size;
  const worst = Math.max(
    60,
    ...networks.map((n) => Math.ceil(chunk / config.networks[n].max_tasks) * config.networks[n].timeout * 6),
  );
  return 2 * worst + 60;
}
