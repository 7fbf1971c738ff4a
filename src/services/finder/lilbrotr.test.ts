import { expect, it } from 'vitest';
import { getServiceState, insertEventRelaysCascade } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { finderConfigSchema } from './config.js';
import { createFinder } from './finder.js';

const db = useTestDatabase('lilbrotr');

it('scans lilbrotr events (no tags or content stored) without failing and advances the cursor', async () => {
  const relay = { url: 'wss://lil.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 1 };
  const events = generateEvents(12, { kinds: [2, 3], tags: () => [['r', 'wss://lost.example.com']] });
  await insertEventRelaysCascade(
    db.sql,
    events.map((event, i) => ({ event, relay, seenAt: 10 + i })),
  );
  const deps = recordingDeps(db.sql);
  const config = finderConfigSchema.parse({ api: { enabled: false }, events: { scan_size: 10 } });
  await createFinder(deps, config).cycle(new AbortController().signal);
  expect(deps.gauges.get('rows_seen')).toBe(12);
  expect(deps.gauges.get('candidates_found_from_events')).toBe(0);
  const [cursor] = await getServiceState(db.sql, 'finder', 'cursor', relay.url);
  expect(cursor?.stateValue.timestamp).toBe(21);
});
