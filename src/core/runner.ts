/**
 * runService: the one loop that owns timing, failure counting, metrics and the catch-all boundary of every
 * service ("The service loop").
 */
import { setMaxListeners } from 'node:events';
import { sleep } from '../utils/deadline.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * What a cycle did, in a few fields (counts, outcome): the runner logs it in the cycle's one info line,
 * `cycle_completed <fields> duration=…`, so a service does not log its own summary as well.
 */
export type CycleSummary = Readonly<Record<string, unknown>>;

/** A service: a name, a cycle (returning its summary, if any), and an optional cleanup step run before each cycle. */
export interface Service {
  readonly name: string;
  cycle(signal: AbortSignal): Promise<CycleSummary | undefined>;
  cleanup?(signal: AbortSignal): Promise<void>;
  /** Release what the service holds beyond its cycles (the api's HTTP server); called once when it stops. */
  close?(): Promise<void>;
}

/** How to run a service. */
export interface RunOpts {
  readonly intervalSec: number;
  /** Stop with a failure once this many cycles in a row failed; 0 = never. */
  readonly maxConsecutiveFailures: number;
  readonly once?: boolean;
  /** Aborted on SIGINT/SIGTERM: no new cycle starts; the current one is told to stop and given `graceMs`. */
  readonly signal?: AbortSignal;
  readonly graceMs: number;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly now?: () => number;
  /** Told after every cycle (the CLI persists it for the dashboard); its failure is logged, never fatal. */
  readonly recordCycle?: (record: CycleRecord) => Promise<void>;
}

/** One finished cycle: when it started and ended (seconds) and how it went (`error`: the failure's message). */
export interface CycleRecord {
  readonly started_at: number;
  readonly ended_at: number;
  readonly outcome: 'ok' | 'failed';
  readonly error?: string;
}

/** Run `service` until stopped (or once). Returns the exit code: 0 success or clean stop, 1 failure. */
export async function runService(service: Service, opts: RunOpts): Promise<number> {
  try {
    return await runLoop(service, opts);
  } finally {
    await service.close?.();
  }
}

async function runLoop(service: Service, opts: RunOpts): Promise<number> {
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  let failures = 0;
  let graceExpired = false;
  opts.metrics.setGauge('consecutive_failures', 0);
  log.info('service_started', { interval: opts.intervalSec, once: Boolean(opts.once) });
  while (!opts.signal?.aborted) {
    const started = now();
    const { outcome, error, summary } = await runCycle(service, opts);
    const ok = outcome === 'ok';
    graceExpired = outcome === 'grace-expired';
    const elapsed = (now() - started) / 1000;
    await recordCycle(opts, started, now(), ok ? undefined : (error ?? 'failed'));
    if (ok) {
      failures = 0;
      opts.metrics.inc('cycles_success');
      opts.metrics.observeCycle(elapsed);
      opts.metrics.setGauge('last_cycle_timestamp', Math.floor(now() / 1000));
      // the cycle's one info line: its summary, then how long it took (overriding a summary field of that name)
      log.info('cycle_completed', { ...summary, duration: Number(elapsed.toFixed(3)) });
    } else {
      failures += 1;
    }
    opts.metrics.setGauge('consecutive_failures', failures);
    if (opts.once) return ok ? 0 : 1;
    if (opts.maxConsecutiveFailures > 0 && failures >= opts.maxConsecutiveFailures) {
      log.error('service_stopping', { reason: 'max_consecutive_failures', failures });
      return 1;
    }
    await sleep(Math.max(0, opts.intervalSec - elapsed) * 1000, opts.signal);
  }
  log.info('service_stopped', { clean: !graceExpired });
  return graceExpired ? 1 : 0;
}

/** Hand the cycle (times in ms) to `opts.recordCycle` in whole seconds; a failure to record is a warning. */
async function recordCycle(
  opts: RunOpts,
  startedMs: number,
  endedMs: number,
  error: string | undefined,
): Promise<void> {
  if (!opts.recordCycle) return;
  const times = { started_at: Math.floor(startedMs / 1000), ended_at: Math.floor(endedMs / 1000) };
  try {
    await opts.recordCycle(error === undefined ? { ...times, outcome: 'ok' } : { ...times, outcome: 'failed', error });
  } catch (err) {
    opts.logger.warn('cycle_record_failed', { error: err instanceof Error ? err.message : String(err) });
  }
}

/** One cleanup + cycle inside the catch-all boundary; the stop request aborts the cycle's signal after a grace. */
async function runCycle(
  service: Service,
  opts: RunOpts,
): Promise<{ outcome: 'ok' | 'failed' | 'grace-expired'; error?: string; summary?: CycleSummary }> {
  const cycleAbort = new AbortController();
  // why: a service's concurrent relay tasks (the monitor's, the validator's: up to the networks' max_tasks) may
  // each listen on this signal once and remove the listener when they end (nip01/subscription.ts), so a count
  // above 10 is load, not a leak (the synchronizer gives each relay task a child signal instead)
  setMaxListeners(1000, cycleAbort.signal);
  const onStop = (): void => {
    opts.logger.info('stop_requested', { grace_ms: opts.graceMs });
    cycleAbort.abort(opts.signal?.reason);
  };
  opts.signal?.addEventListener('abort', onStop, { once: true });
  const work = (async () => {
    if (service.cleanup) await service.cleanup(cycleAbort.signal);
    return await service.cycle(cycleAbort.signal);
  })();
  try {
    const summary = await (opts.signal ? raceGrace(work, opts.signal, opts.graceMs) : work);
    return summary ? { outcome: 'ok', summary } : { outcome: 'ok' };
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    opts.metrics.inc('cycles_failed');
    opts.metrics.inc(`errors_${name}`);
    opts.logger.error('cycle_failed', { error: name, detail: err instanceof Error ? err.message : String(err) });
    const error = `${name}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
    return { outcome: err instanceof GraceExpiredError ? 'grace-expired' : 'failed', error };
  } finally {
    opts.signal?.removeEventListener('abort', onStop);
  }
}

/** Wait for `work`; once `stop` aborts, wait at most `graceMs` more, then give up on it. */
function raceGrace<T>(work: Promise<T>, stop: AbortSignal, graceMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onStop = (): void => {
      timer = setTimeout(() => reject(new GraceExpiredError(`the cycle did not stop within ${graceMs} ms`)), graceMs);
    };
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    });
  });
}

/** The cycle ignored the stop request for longer than the grace period. */
export class GraceExpiredError extends Error {
  override name = 'GraceExpiredError';
}
