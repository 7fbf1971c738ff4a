/** The `--help` text of every command. */
import { isServiceName } from '../models/service-state.js';

const COMMON = `Common options:
  --deployment DIR      deployment folder (default: ./deployments/bigbrotr, else the one shipped in the package)
  --brotr-config PATH   database config (default: <deployment>/config/brotr.yaml)
  --log-level LEVEL     trace|debug|info|warn|error (default info)
  --log-format FORMAT   text|json (default text)
  -h, --help            show this help`;

const MAIN = `bigbrotr — Nostr network archiver and monitor

Usage: bigbrotr <command> [options]

Commands:
  up                      run every continuous service in one process (seeder once first);
                          uses the embedded PostgreSQL unless brotr.yaml names a server
  seeder|finder|validator|monitor|synchronizer|refresher|api|dvm
                          run one service (add --once for a single cycle)
  db init                 create the schema of the deployment in the configured database
  db verify               check that the database has every table, function and view
  db audit                re-verify stored events from the database (id and signature of each row)
  import FILE.jsonl[.gz]  load NIP-01 events (one JSON event per line), verified and deduplicated
  export                  write stored events as JSONL (strfry / nak compatible)
  config check            validate every YAML file of a deployment without starting anything

Options:
  -h, --help              help (also: bigbrotr <command> --help)
  -v, --version           print the version

Exit codes: 0 success, 1 failure, 2 usage or configuration error.`;

const SERVICE = (name: string): string => `Usage: bigbrotr ${name} [options]

Run the ${name} service: a cycle every 'interval' seconds until SIGINT/SIGTERM.

Options:
  --config PATH         service config (default: <deployment>/config/services/${name}.yaml)
  --once                run one cleanup + one cycle, then exit (0 success, 1 failure)
${COMMON}`;

const HELP: Readonly<Record<string, string>> = {
  main: MAIN,
  up: `Usage: bigbrotr up [options]

Run the whole pipeline in one process: the seeder once, then every continuous service (finder, validator,
monitor, synchronizer, refresher, api with the dashboard, dvm where its keys are configured). With no
database in brotr.yaml (or 'database: embedded') it starts the embedded PostgreSQL in ./data/bigbrotr/pg
(BIGBROTR_DATA_DIR changes it) and creates the schema on first start; the dashboard is at
http://127.0.0.1:8080/ (API_PORT changes it). Ctrl-C stops everything cleanly; running it again resumes.

Options:
  --demo                run against 20 relays started in this process (generated events, no internet
                        needed): the seed list, networks and intervals are replaced in memory (no file is
                        changed) so every service completes a cycle within seconds; open the dashboard
${COMMON}`,
  db: `Usage: bigbrotr db init|verify|audit [options]

  init     apply the deployment's postgres/init/*.sql in order (idempotent)
  verify   check extensions, tables, stored functions (with signatures) and views; exit 1 listing what is missing
  audit    re-verify stored events from the database: each row's id recomputed from its stored columns and its
           signature checked; progress on stderr; exit 1 listing the ids of rows that no longer verify.
           A deployment that keeps no content or signature (lilbrotr) cannot be audited: exit 2, saying so.

Options of audit:
  --sample N            audit about N events drawn at random (random id probes) instead of every event

${COMMON}`,
  import: `Usage: bigbrotr import FILE.jsonl[.gz] --relay URL [options]

Load events, one JSON event per line (strfry / nak format; '-' reads standard input). Every id and signature
is verified; duplicates are skipped; invalid lines are counted and reported by line number, never stored.
Ends with: read / inserted / duplicates / invalid.

Options:
  --relay URL           the relay the events came from (required: every stored event keeps its provenance
                        as an event_relay row, so the orphan cleanup never deletes imported events)
  --batch-size N        events per database batch (default: batch.max_size of brotr.yaml)
${COMMON}`,
  export: `Usage: bigbrotr export [--since T] [--until T] [--kinds 1,7] [--output FILE] [options]

Write stored events as JSONL, one event per line, oldest first (strfry / nak accept it).

Options:
  --since T             only events with created_at >= T (unix seconds)
  --until T             only events with created_at <= T (unix seconds)
  --kinds LIST          only these kinds, comma-separated
  --output FILE         write to FILE instead of standard output
${COMMON}`,
  config: `Usage: bigbrotr config check [options]

Validate brotr.yaml and every config/services/*.yaml of the deployment; each bad key is reported with its
file and path. Exit 0 when all are valid, 2 otherwise.

${COMMON}`,
};

/** The help text of a command (`main` for the top level). */
export function helpText(command: string): string {
  if (isServiceName(command)) return SERVICE(command);
  return HELP[command] ?? MAIN;
}
