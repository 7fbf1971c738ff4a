/** Relay farm: how long 10,000 test relays take to start in one process, and the memory they hold. */
import { connectRelay } from '../src/nips/nip01/connection.js';
import { subscribe } from '../src/nips/nip01/subscription.js';
import { generateEvents } from '../src/testing/events.js';
import { startRelayFarm } from '../src/testing/relay/farm.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Run the farm benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_FARM_RELAYS ?? 10_000);
  const pool = generateEvents(10_000, { seed: 61, kinds: [0, 1, 3, 7, 10002] });
  global.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  await using farm = await startRelayFarm({ count, pool, eventsPerRelay: 10 });
  const seconds = (performance.now() - started) / 1000;
  global.gc?.();
  const after = process.memoryUsage();
  // prove they answer: read every 500th relay
  let answered = 0;
  for (let i = 0; i < count; i += 500) {
    const c = await connectRelay(farm.urls[i] as string, { network: 'local', allowLocal: true });
    if (!c.ok) continue;
    let n = 0;
    for await (const _ of subscribe(c.value, [{}])) n += 1;
    if (n === 10) answered += 1;
    c.value.close();
  }
  return [
    `relays: ${count.toLocaleString('en-US')} (10 events each, one shared pool of 10,000)`,
    `start time: ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')} relays/s)`,
    `memory held by the farm: RSS +${mib(after.rss - before.rss)}, heap +${mib(after.heapUsed - before.heapUsed)} (RSS total ${mib(after.rss)})`,
    `spot check: ${answered}/${Math.ceil(count / 500)} sampled relays answered with their 10 events`,
  ];
}
