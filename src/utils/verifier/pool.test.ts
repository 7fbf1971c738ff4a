import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { generateEvents } from '../../testing/events.js';
import { createVerifierPool } from './pool.js';

const events = generateEvents(200, { seed: 3, pubkeys: 5, tags: (i) => [['t', `x${i}`]] });
const flip = (h: string): string => (h[0] === '0' ? `1${h.slice(1)}` : `0${h.slice(1)}`);

describe('VerifierPool', () => {
  it('flags valid and invalid events in input order, with the native and the JS backend', async () => {
    const mixed: NostrEvent[] = events.map((e, i) =>
      i % 7 === 0 ? { ...e, sig: flip(e.sig) } : i % 11 === 0 ? { ...e, content: `${e.content}!` } : e,
    );
    const expected = mixed.map((_, i) => (i % 7 === 0 || i % 11 === 0 ? 0 : 1));
    for (const forceJs of [false, true]) {
      await using pool = createVerifierPool({ threads: 2, forceJs });
      expect(await pool.backend).toBe(forceJs ? 'noble' : 'bcrypto-native');
      expect(Array.from(await pool.verify(mixed))).toEqual(expected);
      expect(pool.queueDepth).toBe(0);
    }
  });

  it('handles empty batches, honours abort, and refuses work after close', async () => {
    const pool = createVerifierPool({ threads: 1 });
    expect((await pool.verify([])).length).toBe(0);
    await expect(pool.verify(events, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    await pool.close();
    await expect(pool.verify(events)).rejects.toThrow(/closed/);
  });

  it('rejects pending work when a worker dies instead of hanging', async () => {
    const pool = createVerifierPool({ threads: 1 });
    await pool.backend;
    const pending = pool.verify(generateEvents(2000, { seed: 9 }));
    await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]?.worker.terminate();
    await expect(pending).rejects.toThrow(/died/);
    await pool.close();
  });
});
