/**
 * A relay farm in its own process, for benchmarks that must measure the client alone: prints one JSON line
 * `{"urls": [...]}` when ready and runs until its stdin closes. Options as JSON in argv[2]:
 * `{ count, eventsPerRelay, poolSize, info }`.
 */
import { generateEvents } from '../src/testing/events.js';
import { startRelayFarm } from '../src/testing/relay/farm.js';
import type { TestRelayInfo } from '../src/testing/relay/types.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as {
  count?: number;
  eventsPerRelay?: number;
  /** Events generated for the whole farm (default 1,000, shared); count × eventsPerRelay makes them distinct. */
  poolSize?: number;
  info?: TestRelayInfo;
};
const farm = await startRelayFarm({
  count: opts.count ?? 100,
  pool: generateEvents(opts.poolSize ?? 1_000, { seed: 91, pubkeys: 200, contentSize: 200 }),
  eventsPerRelay: opts.eventsPerRelay ?? 2,
  ...(opts.info ? { relayOpts: () => ({ info: opts.info as TestRelayInfo }) } : {}),
});
process.stdout.write(`${JSON.stringify({ urls: farm.urls })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void farm.close().then(() => process.exit(0)));
