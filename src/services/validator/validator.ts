/**
 * Validator: candidates become relays only when they really speak NIP-01. Candidates are claimed
 * under leases (replicas never check the same one), checked concurrently within each network's limit, then
 * promoted (one transaction) or their failure and its reason recorded.
 */
import { enabledNetworks } from '../../core/config/service.js';
import { leaseOwner, releaseLeases, releaseOrphanedLeases } from '../../core/db/relay-leases.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import type { Network } from '../../models/network.js';
import { networkConnectOpts } from '../../nips/nip01/network-opts.js';
import { checkSpeaksNostr, type RelayCheck } from '../../nips/nip01/probe.js';
import { addCounts, countBy } from '../../utils/counts.js';
import { createLimiter, type Limiter } from '../../utils/limiter.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import type { Resolver } from '../../utils/net/resolve.js';
import type { ValidatorConfig } from './config.js';
import { type Candidate, claimCandidates, cleanupCandidates, promoteCandidates, recordFailures } from './queries.js';

/** The validator's collaborators; `check` and `resolver` are injectable for tests. */
export interface ValidatorDeps extends ServiceDeps {
  readonly check?: typeof checkSpeaksNostr;
  readonly resolver?: Resolver;
  /** Lease owner id (default host:pid:random). */
  readonly owner?: string;
}

type Checked = { readonly candidate: Candidate; readonly result: ProbeResult<RelayCheck> };

/** Build the validator service. */
export function createValidator(deps: ValidatorDeps, config: ValidatorConfig): Service {
  const owner = deps.owner ?? leaseOwner();
  const check = deps.check ?? checkSpeaksNostr;
  const networks = enabledNetworks(config.networks);
  const log = deps.logger;

  async function checkOne(c: Candidate, limiters: Map<Network, Limiter>, signal: AbortSignal): Promise<Checked> {
    const limiter = limiters.get(c.network) as Limiter;
    const connect = networkConnectOpts(c.network, config.networks, {
      allowInsecure: config.processing.allow_insecure,
      resolver: deps.resolver,
      signal,
    });
    const result = await limiter(() =>
      check(c.url, { ...connect, timeoutMs: config.networks[c.network].timeout * 1000 }),
    );
    return { candidate: c, result };
  }

  async function processChunk(chunk: Candidate[], limiters: Map<Network, Limiter>, signal: AbortSignal) {
    const checked = await Promise.all(chunk.map((c) => checkOne(c, limiters, signal)));
    // why: a check cut short by shutdown says nothing about the relay; leave it for the next cycle
    const decided = signal.aborted ? checked.filter((x) => x.result.ok) : checked;
    const valid = decided.filter((x) => x.result.ok).map((x) => x.candidate);
    const failed = decided.flatMap((x) => (x.result.ok ? [] : [{ ...x.candidate, reason: x.result.reason }]));
    await promoteCandidates(deps.sql, valid);
    await recordFailures(deps.sql, failed, nowSeconds(deps));
    for (const f of failed) deps.metrics.inc(`not_validated_${f.reason.replaceAll('-', '_')}`);
    return { valid: valid.length, failed: failed.length, reasons: countBy(failed.map((f) => f.reason)) };
  }

  let everValid = false;
  let warnedUnreachable = false;
  return {
    name: 'validator',
    async cleanup() {
      const orphaned = await releaseOrphanedLeases(deps.sql, 'validator', owner);
      if (orphaned > 0) log.info('orphaned_leases_released', { leases: orphaned });
      const removed = await cleanupCandidates(
        deps.sql,
        config.cleanup.enabled ? config.cleanup.max_failures : null,
        nowSeconds(deps),
      );
      if (removed > 0) log.info('candidates_cleaned', { removed });
    },
    async cycle(signal) {
      const limiters = new Map(networks.map((n) => [n, createLimiter(config.networks[n].max_tasks)]));
      const leaseSeconds = leaseFor(config, networks);
      const totals = { total: 0, valid: 0, failed: 0 };
      const reasons: Record<string, number> = {};
      const max = config.processing.max_candidates ?? Number.POSITIVE_INFINITY;
      try {
        while (!signal.aborted && totals.total < max && networks.length > 0) {
          const limit = Math.min(config.processing.chunk_size, max - totals.total);
          const now = nowSeconds(deps);
          const chunk = await claimCandidates(deps.sql, {
            networks,
            cooldown: config.processing.interval,
            now,
            limit,
            owner,
            leaseSeconds,
          });
          if (chunk.length === 0) break;
          const r = await processChunk(chunk, limiters, signal);
          totals.total += chunk.length;
          totals.valid += r.valid;
          totals.failed += r.failed;
          addCounts(reasons, r.reasons);
          log.info('chunk_validated', {
            candidates: chunk.length,
            valid: r.valid,
            failed: r.failed,
            ...(r.failed > 0 ? { reasons: r.reasons } : {}),
          });
        }
      } finally {
        await releaseLeases(deps.sql, 'validator', owner);
      }
      deps.metrics.setGauge('total', totals.total);
      deps.metrics.setGauge('validated', totals.valid);
      deps.metrics.setGauge('not_validated', totals.failed);
      everValid ||= totals.valid > 0;
      if (!everValid && !warnedUnreachable && totals.failed > 0 && !signal.aborted) {
        // said once per process: every candidate failed and none ever passed (typically: no internet access)
        warnedUnreachable = true;
        log.warn('nothing_reachable', {
          checked: totals.total,
          reasons,
          hint: 'no candidate relay could be reached: check DNS and outbound connections, or try `bigbrotr up --demo` (a local relay farm, no internet needed)',
        });
      }
      return { ...totals, networks: networks.join(','), ...(totals.failed > 0 ? { reasons } : {}) };
    },
  };
}

// A lease must outlive the slowest chunk: every candidate of one network queued behind max_tasks, twice over.
function leaseFor(config: ValidatorConfig, networks: readonly Network[]): number {
  const chunk = config.processing.chunk_size;
  const worst = Math.max(
    60,
    ...networks.map((n) => Math.ceil(chunk / config.networks[n].max_tasks) * config.networks[n].timeout),
  );
  return 2 * worst + 60;
}
