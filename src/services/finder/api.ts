/**
 * The finder's API phase: fetch each due HTTP source with a byte cap and deadline, evaluate its
 * JMESPath expression to a list of strings, normalise them and store the candidates with the source's
 * checkpoint `(finder, checkpoint, <source url>) = {timestamp}` in one transaction.
 */
import { compile, type JSONValue, TreeInterpreter } from '@jmespath-community/jmespath';
import { insertCandidates } from '../../core/db/candidates.js';
import { getServiceState, upsertServiceState } from '../../core/db/store.js';
import { nowSeconds } from '../../core/service-deps.js';
import { fail, ok, type Result } from '../../models/result.js';
import { sleep } from '../../utils/deadline.js';
import { fetchBounded } from '../../utils/http.js';
import type { FinderConfig } from './config.js';
import { type FinderDeps, storeOpts } from './deps.js';
import { normalizeCandidates } from './extract.js';

type SourceConfig = FinderConfig['api']['sources'][number];

/** A configured source with its expression compiled once. */
export interface CompiledSource {
  readonly url: string;
  readonly enabled: boolean;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly insecure: boolean;
  readonly ast: ReturnType<typeof compile>;
}

/** What one API phase did (the numbers behind the metrics). */
export interface ApiPhaseResult {
  readonly totalSources: number;
  readonly fetched: number;
  readonly failed: number;
  readonly inserted: number;
  readonly invalidUrls: number;
  readonly nonStringItems: number;
}

interface SourceItems {
  readonly strings: string[];
  readonly nonString: number;
}

/** Compile every source's JMESPath expression; a bad one is a start-up error naming the source. */
export function compileSources(sources: readonly SourceConfig[]): CompiledSource[] {
  return sources.map((s) => {
    try {
      const ast = compile(s.expression);
      return {
        url: s.url,
        enabled: s.enabled,
        timeoutMs: s.timeout * 1000,
        connectTimeoutMs: s.connect_timeout * 1000,
        insecure: s.allow_insecure,
        ast,
      };
    } catch (cause) {
      throw new Error(`finder source ${s.url}: invalid JMESPath expression ${JSON.stringify(s.expression)}`, {
        cause,
      });
    }
  });
}

/** Fetch one source and evaluate its expression: the string items and how many items were not strings. */
export async function fetchSource(
  deps: FinderDeps,
  source: CompiledSource,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Result<SourceItems>> {
  const res = await (deps.fetch ?? fetchBounded)(source.url, {
    accept: 'application/json',
    maxBytes,
    timeoutMs: source.timeoutMs,
    connectTimeoutMs: source.connectTimeoutMs,
    insecure: source.insecure,
    allowLocal: deps.allowLocal ?? false,
    signal,
  });
  if (!res.ok) return res;
  if (res.value.status !== 200) return fail('http', `status ${res.value.status}`);
  let data: JSONValue;
  try {
    data = JSON.parse(res.value.body.toString('utf8')) as JSONValue;
  } catch (err) {
    return fail('invalid-json', (err as Error).message);
  }
  let result: JSONValue;
  try {
    result = TreeInterpreter.search(source.ast, data);
  } catch (err) {
    return fail('expression', (err as Error).message);
  }
  if (!Array.isArray(result)) return fail('not-a-list', `expression gave ${result === null ? 'null' : typeof result}`);
  const strings = result.filter((v): v is string => typeof v === 'string');
  return ok({ strings, nonString: result.length - strings.length });
}

/** Sources whose checkpoint is absent or at least `cooldown` seconds old. */
async function dueSources(deps: FinderDeps, sources: readonly CompiledSource[], cooldown: number) {
  const checkpoints = new Map<string, unknown>();
  for (const s of await getServiceState(deps.sql, 'finder', 'checkpoint')) {
    checkpoints.set(s.stateKey, s.stateValue.timestamp);
  }
  const now = nowSeconds(deps);
  return sources.filter((s) => {
    const ts = checkpoints.get(s.url);
    return typeof ts !== 'number' || now - ts >= cooldown;
  });
}

/** Run the API phase over the enabled, due sources, pausing `request_delay` between requests. */
export async function runApiPhase(
  deps: FinderDeps,
  config: FinderConfig['api'],
  sources: readonly CompiledSource[],
  signal: AbortSignal,
): Promise<ApiPhaseResult> {
  const log = deps.logger;
  const enabled = sources.filter((s) => s.enabled);
  const due = await dueSources(deps, enabled, config.cooldown);
  const r = { totalSources: enabled.length, fetched: 0, failed: 0, inserted: 0, invalidUrls: 0, nonStringItems: 0 };
  for (const [i, source] of due.entries()) {
    if (signal.aborted) break;
    if (i > 0 && !(await sleep(config.request_delay * 1000, signal))) break;
    const items = await fetchSource(deps, source, config.max_response_size, signal);
    if (!items.ok) {
      r.failed += 1;
      log.warn('source_failed', { url: source.url, reason: items.reason, detail: items.detail });
      continue;
    }
    const { candidates, invalid } = normalizeCandidates(items.value.strings, {
      allowLocal: deps.allowLocalRelays ?? false,
    });
    const now = nowSeconds(deps);
    const inserted = await deps.sql.begin(async (tx) => {
      const n = await insertCandidates(tx, candidates, now, storeOpts(deps));
      await upsertServiceState(tx, [
        { serviceName: 'finder', stateType: 'checkpoint', stateKey: source.url, stateValue: { timestamp: now } },
      ]);
      return n;
    });
    r.fetched += 1;
    r.inserted += inserted;
    r.invalidUrls += invalid;
    r.nonStringItems += items.value.nonString;
    log.info('source_fetched', {
      url: source.url,
      found: candidates.length,
      inserted,
      invalid,
      non_string: items.value.nonString,
    });
  }
  return r;
}
