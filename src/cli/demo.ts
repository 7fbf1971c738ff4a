/**
 * `bigbrotr up --demo`: a farm of local relays started in-process, and the service configs pointed at it in
 * memory (the user's files are never written), so the whole pipeline can be watched offline within a minute.
 */
import type postgres from 'postgres';
import { insertCandidates } from '../core/db/candidates.js';
import type { Logger } from '../core/logger.js';
import type { NostrEvent } from '../models/event.js';
import { parseRelayUrl } from '../models/relay-url.js';
import type { ServiceName } from '../models/service-state.js';
import { pubkeyOf } from '../nips/signer.js';
import { generateEvents, signEvent, testSecretKey } from '../testing/events.js';
import { startTestRelay, type TestRelay, type TestRelayInfo, type TestRelayOpts } from '../testing/relay/relay.js';
import { SERVICES, type ServiceConfigs } from './services.js';

/** How to start the demo farm. */
export interface DemoFarmOpts {
  readonly count?: number;
  /** Relay i listens on basePort + i (a busy port falls back to a free one), so a restart finds the same URLs. */
  readonly basePort?: number;
  /** Seconds between two new events published on the farm while it runs (0: none). */
  readonly liveEverySec?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** A running demo farm. */
export interface DemoFarm extends AsyncDisposable {
  readonly urls: readonly string[];
  close(): Promise<void>;
}

/** Relays in the demo farm. */
export const DEMO_RELAYS = 20;
/** First port of the demo farm. */
export const DEMO_BASE_PORT = 17_700;
const SEED = 2026;
const AUTHORS = 60;
const HISTORY_SEC = 3 * 86_400;
const KINDS = [1, 1, 1, 1, 7, 7, 6, 0, 3, 10002, 1111, 30023];
const TOPICS = ['nostr', 'bitcoin', 'zaps', 'relays', 'photography', 'music', 'dev'];

/**
 * The farm's history: signed events of 60 authors over the 3 days before the current hour (the same events
 * within one hour, so a restart serves what was already archived).
 */
export function demoEvents(count: number, nowSec: number): NostrEvent[] {
  const anchor = Math.floor(nowSec / 3600) * 3600;
  return generateEvents(count, {
    seed: SEED,
    pubkeys: AUTHORS,
    kinds: KINDS,
    createdAt: (i) => anchor - ((i * 7919) % HISTORY_SEC),
    tags: (i) => (i % 3 === 0 ? [['t', TOPICS[i % TOPICS.length] as string]] : []),
  });
}

const NAMES = ['Nostr Commons', 'Purple Pages', 'Satoshi Square', 'Zap Lane', 'Borealis', 'Freedom Tech Hub'];
const PLACES = ['Relay', 'Outpost', 'Archive'];
const SOFTWARE = [
  ['git+https://github.com/hoytech/strfry.git', '1.0.4', [1, 2, 4, 9, 11, 22, 28, 40, 70]],
  ['https://git.sr.ht/~gheartsfield/nostr-rs-relay', '0.9.0', [1, 2, 9, 11, 12, 15, 16, 20, 22, 33, 40]],
  ['https://github.com/fiatjaf/khatru', '0.18.2', [1, 11, 40, 42, 70, 86]],
  ['git+https://github.com/cameri/nostream.git', '2.1.0', [1, 2, 4, 9, 11, 12, 15, 16, 20, 22, 28, 33, 40]],
  ['https://github.com/bitvora/haven', '1.0.5', [1, 11, 42, 70]],
] as const;

/** The NIP-11 document of demo relay i: names, software and NIPs vary (relays 0, 10, 20… also speak NIP-77). */
export function demoRelayInfo(i: number): TestRelayInfo {
  const [software, version, nips] = SOFTWARE[[0, 0, 1, 0, 2, 1, 0, 3, 2, 4][i % 10] as number] ?? SOFTWARE[0];
  const name = `${NAMES[i % NAMES.length]} ${PLACES[Math.floor(i / NAMES.length) % PLACES.length]}`;
  // why a variable: TestRelayInfo types only the limits the test relay enforces; NIP-11 has more
  const limitation = {
    max_limit: [500, 5000, 1000][i % 3] as number,
    max_message_length: 131_072,
    max_subscriptions: 20,
    auth_required: false,
    payment_required: i % 7 === 6,
  };
  const pubkey = pubkeyOf(testSecretKey(SEED + 1, i));
  return {
    name: i >= NAMES.length * PLACES.length ? `${name} ${i}` : name,
    description: `Demo relay ${i + 1} of the bigbrotr up --demo farm (127.0.0.1 only).`,
    pubkey,
    contact: `mailto:operator${i + 1}@relay.example`,
    software,
    version,
    supported_nips: i % 10 === 0 ? [...nips, 77] : [...nips],
    limitation,
    relay_countries: [['US', 'DE', 'JP', 'BR', 'FR'][i % 5] as string],
    language_tags: i % 4 === 0 ? ['en', 'es'] : ['*'],
  };
}

/** Start the demo farm: `count` relays with a few hundred overlapping events each and varied NIP-11 documents. */
export async function startDemoFarm(opts: DemoFarmOpts = {}): Promise<DemoFarm> {
  const count = opts.count ?? DEMO_RELAYS;
  const base = opts.basePort ?? DEMO_BASE_PORT;
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const pool = demoEvents(count * 120, now());
  const relays: TestRelay[] = [];
  let stopLive = (): void => {};
  const close = async (): Promise<void> => {
    stopLive();
    await Promise.all(relays.map((r) => r.close()));
  };
  try {
    const settled = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => {
        // 200–399 events per relay, overlapping the neighbours' so one event is seen on several relays
        const size = 200 + ((i * 53) % 200);
        const start = (i * 131) % pool.length;
        const events = [...pool.slice(start, start + size), ...pool.slice(0, Math.max(0, start + size - pool.length))];
        return startOnPort({ events, info: demoRelayInfo(i) }, base + i);
      }),
    );
    for (const s of settled) if (s.status === 'fulfilled') relays.push(s.value);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    const moved = relays.filter((r, i) => r.port !== base + i).length;
    if (moved > 0) opts.logger?.warn('demo_ports_busy', { relays: moved, hint: 'those relays listen on other ports' });
    stopLive = publishLive(relays, opts.liveEverySec ?? 5, now);
    return { urls: relays.map((r) => r.url), close, [Symbol.asyncDispose]: close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function startOnPort(opts: TestRelayOpts, port: number): Promise<TestRelay> {
  try {
    return await startTestRelay({ ...opts, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return await startTestRelay(opts);
  }
}

// New notes keep arriving while the demo runs, so later synchronizer cycles have something to fetch.
function publishLive(relays: readonly TestRelay[], everySec: number, now: () => number): () => void {
  if (everySec <= 0 || relays.length === 0) return () => {};
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    const event = signEvent(
      { created_at: now(), kind: 1, tags: [['t', 'live']], content: `live note ${n} from the demo farm` },
      testSecretKey(SEED, n % AUTHORS),
    );
    for (const k of [0, 7, 13]) relays[(n + k) % relays.length]?.store.add(event);
  }, everySec * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

const LOCAL_ONLY = {
  clearnet: { enabled: false },
  tor: { enabled: false },
  i2p: { enabled: false },
  loki: { enabled: false },
  local: { enabled: true, timeout: 5 },
};
// the monitor's checks that need the clearnet (and GeoIP files)
const CLEARNET_CHECKS = { nip66_ssl: false, nip66_dns: false, nip66_geo: false, nip66_net: false };
const SHORT = (interval: number) => ({ interval, allow_short_interval: true });

/**
 * The demo's seeding, in place of the seeder (whose seed list refuses local addresses): the farm's URLs become
 * candidates, except those already candidates or relays (a restart adds none). Returns how many were new.
 */
export function seedDemoCandidates(sql: postgres.Sql, urls: readonly string[], nowSec: number): Promise<number> {
  const candidates = urls.flatMap((u) => {
    const parsed = parseRelayUrl(u, { allowLocal: true });
    return parsed.ok ? [{ url: parsed.value.url, network: parsed.value.network }] : [];
  });
  return insertCandidates(sql, candidates, nowSec);
}

/** What `--demo` changes in each service config: the farm instead of the network, short intervals, no publishing. */
export function demoOverrides(name: ServiceName, nowSec: number): object {
  switch (name) {
    case 'seeder':
      return {}; // not run in the demo: seedDemoCandidates does its work
    case 'finder':
      return { ...SHORT(30), api: { enabled: false, sources: [] } };
    case 'validator':
      return { ...SHORT(15), networks: LOCAL_ONLY };
    case 'monitor':
      return {
        ...SHORT(15),
        networks: LOCAL_ONLY,
        processing: { compute: CLEARNET_CHECKS, store: CLEARNET_CHECKS },
        geo: { city_database_path: null, asn_database_path: null, city_download_url: null, asn_download_url: null },
        publishing: { relays: [] },
        discovery: { interval: 60, include: CLEARNET_CHECKS, relays: [] },
        announcement: { relays: [] },
        profile: { relays: [] },
        relay_list: { relays: [] },
      };
    case 'synchronizer':
      return {
        ...SHORT(10),
        networks: LOCAL_ONLY,
        processing: {
          since: nowSec - HISTORY_SEC - 86_400,
          until: null,
          end_lag: 0,
          priority_relays: [],
          priority_relays_file: null,
        },
      };
    case 'refresher':
      return SHORT(15);
    case 'api':
      return { ...SHORT(30), host: '127.0.0.1' };
    case 'dvm':
      return { ...SHORT(30), relays: [] };
  }
}

/** A loaded service config with the demo's overrides, validated again by the service's schema. */
export function demoConfig<K extends ServiceName>(
  name: K,
  config: ServiceConfigs[K],
  nowSec: number,
): ServiceConfigs[K] {
  return SERVICES[name].schema.parse(merge(config, demoOverrides(name, nowSec)));
}

/** Plain objects merge key by key; anything else (arrays included) is replaced. */
function merge(base: unknown, patch: unknown): unknown {
  if (!isPlain(base) || !isPlain(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v);
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
