import { describe, expect, it } from 'vitest';
import { connectRelay } from '../../nips/nip01/connection.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import { generateEvents } from '../events.js';
import { startRelayFarm } from './farm.js';

describe('relay farm', () => {
  it('starts N relays on N ports, each holding its own slice of the pool', async () => {
    const pool = generateEvents(100, { seed: 51 });
    await using farm = await startRelayFarm({ count: 50, pool, eventsPerRelay: 4, concurrency: 16 });
    expect(new Set(farm.urls).size).toBe(50);
    for (const i of [0, 17, 49]) {
      const c = await connectRelay(farm.urls[i] as string, { network: 'local', allowLocal: true });
      if (!c.ok) throw new Error(c.reason);
      const ids: string[] = [];
      for await (const e of subscribe(c.value, [{}])) ids.push(e.id);
      c.value.close();
      const offset = (i * 4) % 100;
      expect(new Set(ids)).toEqual(new Set(pool.slice(offset, offset + 4).map((e) => e.id)));
    }
  });
});
