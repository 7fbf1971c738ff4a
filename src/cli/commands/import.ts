/** `bigbrotr import FILE.jsonl[.gz] --relay URL`: load events with provenance. */
import { existsSync } from 'node:fs';
import { loadConfigFile } from '../../core/config/index.js';
import { findStoredSightings, insertEventRelays, insertEventRelaysCascade, insertRelays } from '../../core/db/store.js';
import type { Relay } from '../../models/relay.js';
import { parseRelayUrl } from '../../models/relay-url.js';
import { createVerifierPool } from '../../utils/verifier/pool.js';
import { COMMON_OPTIONS, intOption, parseCommand } from '../args.js';
import { type DeploymentPaths, resolveDeployment, serviceConfigPath } from '../deployment.js';
import { EXIT, UsageError } from '../errors.js';
import { type CliIo, println } from '../io.js';
import { type ImportSummary, importLines } from '../jsonl/importer.js';
import { openLineSource } from '../jsonl/lines.js';
import { createProgress } from '../jsonl/progress.js';
import { commandLogger } from '../logging.js';
import { openDatabase } from '../runtime.js';
import { SERVICES } from '../services.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  relay: { type: 'string' },
  'batch-size': { type: 'string' },
  'max-event-size': { type: 'string' },
  'allow-local': { type: 'boolean' },
} as const;

/** The longest line read; anything longer is reported as invalid without being buffered. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Run `bigbrotr import`. */
export async function importCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('import', argv, OPTIONS, true);
  const file = positionals[0];
  if (!file || positionals.length !== 1) throw new UsageError('usage: bigbrotr import FILE.jsonl[.gz] --relay URL');
  if (!values.relay) {
    throw new UsageError(
      'import needs --relay URL: every stored event keeps the relay it came from, so the orphan cleanup never deletes it',
    );
  }
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const allowLocal = Boolean(values['allow-local']) || (await localNetworkEnabled(deployment, io));
  const parsed = parseRelayUrl(values.relay, { allowLocal });
  if (!parsed.ok) {
    const hint = allowLocal ? '' : ' (local addresses are accepted when the deployment enables the local network)';
    throw new UsageError(`--relay: ${parsed.reason}${hint}`);
  }
  const relay: Relay = {
    url: parsed.value.url,
    network: parsed.value.network,
    discoveredAt: Math.floor(Date.now() / 1000),
  };
  const logger = commandLogger(io, values, 'import');
  const source = await openLineSource(file, io.stdin, MAX_LINE_BYTES).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${err.code ?? err.message}`);
  });

  await using open = await openDatabase(deployment, io, logger, { schema: 'verify', command: 'import' });
  await using pool = createVerifierPool();
  const batchSize = intOption('batch-size', values['batch-size']) ?? open.brotr.batch.max_size;
  const maxEventSize = intOption('max-event-size', values['max-event-size']);
  const progress = createProgress({
    stream: io.stderr,
    isTty: io.isTty,
    totalBytes: source.totalBytes,
    bytesRead: source.bytesRead,
    complete: source.complete,
  });
  const sql = open.db.sql;
  const seenAt = relay.discoveredAt;
  // The relay row first: sightings of events that are already stored reference it.
  await open.db.run(() => insertRelays(sql, [relay]));
  const summary = await importLines(
    source.lines,
    {
      existing: async (ids) => {
        const pairs = ids.map((eventId) => ({ eventId, relayUrl: relay.url }));
        const stored = await open.db.run(() => findStoredSightings(sql, pairs, { batchSize }));
        return new Map([...stored.events].map((id) => [id, stored.sigs.get(id) ?? null]));
      },
      verify: (events) => pool.verifySignatures(events, { signal: io.stop }), // ids recomputed by proveCopies
      store: (fresh, known) =>
        open.db.run(() =>
          sql.begin(async (tx) => {
            // one generic plan for the sightings' foreign-key check over the 16 partitions, as the writer does
            await tx`SET LOCAL plan_cache_mode = force_generic_plan`;
            const inserted = await insertEventRelaysCascade(
              tx,
              fresh.map((event) => ({ event, relay, seenAt })),
              { batchSize },
            );
            await insertEventRelays(
              tx,
              known.map((eventId) => ({ eventId, relayUrl: relay.url, seenAt })),
              { batchSize },
            );
            return inserted;
          }),
        ),
      progress: (s) => progress.update(s),
    },
    { batchSize, ...(maxEventSize !== undefined ? { maxEventSize } : {}) },
  );
  progress.done();
  report(io, summary);
  logger.info('import_completed', {
    read: summary.read,
    inserted: summary.inserted,
    duplicates: summary.duplicates,
    invalid: summary.invalid,
  });
  return summary.readError ? EXIT.failure : EXIT.ok;
}

function report(io: CliIo, s: ImportSummary): void {
  for (const r of s.rejected) println(io.stdout, `line ${r.line}: ${r.reason}`);
  if (s.invalid > s.rejected.length) println(io.stdout, `… and ${s.invalid - s.rejected.length} more invalid lines`);
  if (s.readError) println(io.stdout, `reading stopped early: ${s.readError} (everything before it is stored)`);
  println(io.stdout, `read=${s.read} inserted=${s.inserted} duplicates=${s.duplicates} invalid=${s.invalid}`);
}

/** Whether the deployment archives local relays (synchronizer.yaml enables the `local` network). */
async function localNetworkEnabled(deployment: DeploymentPaths, io: CliIo): Promise<boolean> {
  const path = serviceConfigPath(io.cwd, deployment, 'synchronizer');
  if (!existsSync(path)) return false;
  const config = await loadConfigFile(path, SERVICES.synchronizer.schema, { env: io.env });
  return config.networks.local.enabled;
}
