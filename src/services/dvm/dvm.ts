/**
 * Dvm (read-only role): a NIP-90 Data Vending Machine over the API's table query engine.
 * Each cycle opens the configured relays, announces itself once per start (NIP-89), fetches the job requests
 * since its durable cursor, and answers each one exactly once: a result, `error` feedback, or
 * `payment-required` feedback. State lives in service_state (see state.ts), so requests published while the
 * service was down are answered on the next start and nothing is answered twice across restarts. When its role
 * may not write those rows (a database whose grants are the reference's, before `db init` upgrades them), it
 * says so once at start and keeps the state in memory instead: nothing is answered twice while it runs, but a
 * restart may answer again the requests of its lookback window.
 */
import { stateWriteDenied } from '../../core/db/privileges.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import { type Catalog, loadCatalog } from '../../core/tables/catalog.js';
import { type NostrEvent, validateEvent } from '../../models/event.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { EventSigner } from '../../nips/signer.js';
import type { Resolver } from '../../utils/net/resolve.js';
import { type Answer, answerRequest } from './answer.js';
import type { DvmConfig } from './config.js';
import { fetchRequests, openRelays, publishToAll } from './relays.js';
import { isAddressedElsewhere, isExpired } from './request.js';
import { buildAnnouncement } from './responses.js';
import {
  advanceCursor,
  CURSOR_KEY,
  type DvmState,
  fetchSince,
  loadDvmState,
  markAnswered,
  type StateWindow,
  saveCursor,
} from './state.js';

/** The DVM's collaborators: its signing key, and for tests loopback relays and shorter windows. */
export interface DvmDeps extends ServiceDeps {
  readonly signer: EventSigner;
  /** Allow relays on loopback or a LAN (tests and private deployments). */
  readonly allowLocal?: boolean;
  readonly resolver?: Resolver;
  readonly window?: Partial<StateWindow>;
}

/** Default state windows: 5 min overlap, 1 h lookback on a first start, 10,000 remembered request ids. */
export const DVM_WINDOW: StateWindow = { overlap: 300, initialLookback: 3600, maxIds: 10_000 };
/** Events per REQ page and the most requests taken in one cycle. */
export const FETCH_LIMITS = { pageSize: 500, maxEvents: 5000 } as const;
/** Requests dated further ahead than this (seconds) are ignored, so they cannot push the cursor. */
export const FUTURE_SLACK = 600;

const ANSWER_METRIC: Record<Answer['outcome'], string> = {
  result: 'requests_answered',
  error: 'requests_failed',
  'payment-required': 'payment_required',
};

/** No configured relay could be reached: the cycle did nothing. */
export class DvmRelaysUnavailableError extends Error {
  override name = 'DvmRelaysUnavailableError';
}

/** Build the DVM service. */
export function createDvm(deps: DvmDeps, config: DvmConfig): Service {
  const log = deps.logger;
  const m = deps.metrics;
  /** Where the state is written: the database, or nowhere (kept in `memory`) when the role may not write it. */
  let store: { sql: DvmDeps['sql'] | undefined; memory?: DvmState } | undefined;

  /** Once per start: can the state be written? Says so once when it cannot. */
  async function stateStore(): Promise<{ sql: DvmDeps['sql'] | undefined; memory?: DvmState }> {
    if (store) return store;
    const denied = await stateWriteDenied(deps.sql, {
      serviceName: 'dvm',
      stateType: 'checkpoint',
      stateKey: CURSOR_KEY,
    });
    m.setGauge('state_persisted', denied ? 0 : 1);
    if (denied) {
      log.warn('state_not_persisted', {
        reason: denied,
        effect:
          'state kept in memory: a restart may answer recent requests again (run `bigbrotr db init` with the admin role)',
      });
      store = { sql: undefined, memory: await loadDvmState(deps.sql) };
    } else store = { sql: deps.sql };
    return store;
  }
  const window: StateWindow = { ...DVM_WINDOW, ...deps.window };
  const timeoutMs = config.fetch_timeout * 1000;
  let announced = false;
  let warnedNoRelays = false;

  async function announce(catalog: Catalog, conns: readonly RelayConnection[], signal: AbortSignal) {
    const info = { name: config.name, about: config.about, dTag: config.d_tag, kind: config.kind };
    const event = deps.signer.sign(buildAnnouncement(info, catalog, nowSeconds(deps)));
    const outcome = await publishToAll(conns, event, { timeoutMs, signal });
    announced = outcome.accepted > 0;
    if (announced) m.inc('announcements_published');
    log.info('announced', { ...outcome, tables: catalog.tables.size });
  }

  /** The requests to answer, oldest first; `complete` when every open relay was read without error. */
  async function collect(conns: readonly RelayConnection[], state: DvmState, now: number, signal: AbortSignal) {
    const since = fetchSince(state, now, window);
    const fetched = await Promise.all(
      conns.map((c) => fetchRequests(c, { kind: config.kind, since, ...FETCH_LIMITS, timeoutMs, signal })),
    );
    const byId = new Map<string, NostrEvent>();
    for (const [i, f] of fetched.entries()) {
      if (f.error) log.warn('fetch_incomplete', { relay: conns[i]?.url, reason: f.error });
      if (f.truncated) log.warn('fetch_truncated', { relay: conns[i]?.url, max: FETCH_LIMITS.maxEvents });
      for (const e of f.events) byId.set(e.id, e);
    }
    const ignored = { elsewhere: 0, expired: 0, invalid: 0, future: 0 };
    const todo = [...byId.values()].filter((e) => {
      if (state.answered.has(e.id) || e.kind !== config.kind) return false;
      const skip = skipReason(e, now);
      if (skip) ignored[skip] += 1;
      return skip === undefined;
    });
    for (const [reason, n] of Object.entries(ignored)) m.setGauge(`requests_ignored_${reason}`, n);
    todo.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
    // why: a truncated fetch still counts as complete, or a backlog beyond the cap would pin the cursor forever
    return { todo, complete: fetched.every((f) => !f.error) };
  }

  function skipReason(e: NostrEvent, now: number): 'elsewhere' | 'expired' | 'invalid' | 'future' | undefined {
    if (isAddressedElsewhere(e, deps.signer.pubkey)) return 'elsewhere';
    if (e.created_at > now + FUTURE_SLACK) return 'future';
    if (isExpired(e, now)) return 'expired';
    return validateEvent(e).ok ? undefined : 'invalid';
  }

  /** Answer one request and remember it; false when no relay took the answer (retried next cycle). */
  async function answerOne(
    e: NostrEvent,
    state: DvmState,
    catalog: Catalog,
    conns: readonly RelayConnection[],
    signal: AbortSignal,
  ) {
    const answer = await answerRequest(e, catalog, {
      sql: deps.sql,
      now: nowSeconds(deps),
      timeoutMs,
      signal,
      pageSize: { defaultPageSize: config.default_page_size, maxPageSize: config.max_page_size },
      maxResultBytes: config.max_result_bytes,
    });
    if (signal.aborted) return false;
    const outcome = await publishToAll(conns, deps.signer.sign(answer.template), { timeoutMs, signal });
    // why: a relay that answered OK false will refuse it again; only silence is worth a retry
    if (outcome.accepted === 0 && outcome.rejected === 0) {
      m.inc('publish_failed');
      log.warn('answer_unpublished', { request: e.id, failed: outcome.failed });
      return false;
    }
    if (outcome.accepted === 0) m.inc('answers_rejected');
    await markAnswered(store?.sql, state, e.id, e.created_at);
    m.inc('requests_total');
    m.inc(ANSWER_METRIC[answer.outcome]);
    log.info('request_answered', { request: e.id, outcome: answer.outcome, code: answer.code, ...outcome });
    return true;
  }

  return {
    name: 'dvm',
    async cycle(signal) {
      const catalog = await loadCatalog(deps.sql, config.tables);
      if (catalog.missing.length > 0) log.warn('tables_missing', { tables: catalog.missing.join(',') });
      await using relays = await openRelays(config.relays, {
        allowLocal: deps.allowLocal === true,
        allowInsecure: config.allow_insecure,
        timeoutMs,
        signer: deps.signer,
        resolver: deps.resolver,
        signal,
      });
      for (const [relay, reason] of relays.failures) log.warn('relay_unreachable', { relay, reason });
      m.setGauge('relays_connected', relays.connections.length);
      if (relays.connections.length === 0) {
        if (config.relays.length === 0) {
          // once per process: the same cause every cycle is not news
          (warnedNoRelays ? log.debug : log.warn)('no_relays_configured');
          warnedNoRelays = true;
          return;
        }
        throw new DvmRelaysUnavailableError(`none of the ${config.relays.length} relays could be reached`);
      }
      if (config.announce && !announced) await announce(catalog, relays.connections, signal);
      const started = nowSeconds(deps);
      const { sql: stateSql, memory } = await stateStore();
      const state = memory ?? (await loadDvmState(deps.sql));
      await saveCursor(stateSql, state);
      const { todo, complete } = await collect(relays.connections, state, started, signal);
      let done = 0;
      for (const e of todo) {
        if (signal.aborted || !(await answerOne(e, state, catalog, relays.connections, signal))) break;
        done += 1;
      }
      // why: the cursor only moves when everything up to `started` was read and answered
      if (complete && done === todo.length && !signal.aborted) await advanceCursor(stateSql, state, started, window);
      m.setGauge('requests_pending', todo.length - done);
      return { found: todo.length, answered: done, cursor: state.cursor ?? null };
    },
  };
}
