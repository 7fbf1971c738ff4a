/**
 * Seeder: the seed list becomes candidates (or relays when `to_validate` is false).
 * Blank lines and `#` comments are skipped, invalid lines logged with their line number, duplicates collapsed.
 */
import { insertCandidates, type NewCandidate } from '../../core/db/candidates.js';
import { insertRelays } from '../../core/db/store.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import { parseRelayUrl } from '../../models/relay-url.js';
import { countBy } from '../../utils/counts.js';
import type { SeederConfig } from './config.js';

/** The seeder's collaborators: the seed file's text is read by the composition root (undefined = missing). */
export interface SeederDeps extends ServiceDeps {
  readSeedFile(): Promise<string | undefined>;
}

/** A seed list parsed: unique valid relays in file order, and the invalid lines. */
export interface ParsedSeeds {
  readonly relays: NewCandidate[];
  readonly invalid: { readonly line: number; readonly text: string; readonly reason: string }[];
}

/** Parse the seed list text. */
export function parseSeedList(text: string): ParsedSeeds {
  const seen = new Set<string>();
  const relays: NewCandidate[] = [];
  const invalid: ParsedSeeds['invalid'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parsed = parseRelayUrl(line);
    if (!parsed.ok) {
      invalid.push({ line: i + 1, text: line.slice(0, 200), reason: parsed.reason });
      return;
    }
    if (seen.has(parsed.value.url)) return;
    seen.add(parsed.value.url);
    relays.push({ url: parsed.value.url, network: parsed.value.network });
  });
  return { relays, invalid };
}

/** Build the seeder service. */
export function createSeeder(deps: SeederDeps, config: SeederConfig): Service {
  const log = deps.logger;
  return {
    name: 'seeder',
    async cycle() {
      const text = await deps.readSeedFile();
      if (text === undefined) {
        log.warn('seed_file_missing', { path: config.seed.file_path });
        deps.metrics.setGauge('relays_inserted', 0);
        return;
      }
      const { relays, invalid } = parseSeedList(text);
      // one line for the operator, by reason; each line at debug
      for (const bad of invalid) log.debug('seed_line_invalid', bad);
      if (invalid.length > 0) {
        log.warn('seed_lines_rejected', {
          lines: invalid.length,
          reasons: countBy(invalid.map((i) => i.reason)),
          hint: 'run with --log-level debug to list them',
        });
      }
      const now = nowSeconds(deps);
      const opts = deps.batchSize ? { batchSize: deps.batchSize } : {};
      const inserted = config.seed.to_validate
        ? await insertCandidates(deps.sql, relays, now, opts)
        : await insertRelays(
            deps.sql,
            relays.map((r) => ({ ...r, discoveredAt: now })),
            opts,
          );
      deps.metrics.setGauge('seed_lines_valid', relays.length);
      deps.metrics.setGauge('seed_lines_invalid', invalid.length);
      deps.metrics.setGauge('relays_inserted', inserted);
      return {
        valid: relays.length,
        invalid: invalid.length,
        inserted,
        as: config.seed.to_validate ? 'candidates' : 'relays',
      };
    },
  };
}
