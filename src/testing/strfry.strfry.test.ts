/** The strfry harness itself: the real binary starts, imports, serves and stops (runs when BIGBROTR_STRFRY is set). */
import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateEvents } from './events.js';
import { openRawClient } from './raw-client.js';
import { startStrfry, strfryBinary } from './strfry.js';

describe('strfryBinary', () => {
  it('returns the variable, undefined when unset outside CI, and throws when unset under CI=true', () => {
    expect(strfryBinary({ BIGBROTR_STRFRY: '/x/strfry' })).toBe('/x/strfry');
    expect(strfryBinary({})).toBeUndefined();
    expect(() => strfryBinary({ CI: 'true' })).toThrow(/BIGBROTR_STRFRY/);
  });
});

const binary = strfryBinary();

async function nip11(port: number): Promise<{ limitation: { max_limit: number } }> {
  const res = await fetch(`http://127.0.0.1:${port}`, { headers: { accept: 'application/nostr+json' } });
  return (await res.json()) as { limitation: { max_limit: number } };
}

describe.skipIf(!binary)('startStrfry (real strfry)', () => {
  it('starts on a free port, imports signed events, serves them, and removes its folder on stop', async () => {
    const now = Math.floor(Date.now() / 1000);
    const events = generateEvents(20, { seed: 5, createdAt: (i) => now - 1000 + i });
    const relay = await startStrfry({ binary });
    try {
      expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}`);
      const info = await nip11(relay.port);
      expect(info.limitation.max_limit).toBe(500);
      expect(await relay.importEvents(events)).toEqual({ added: 20, rejected: 0, dups: 0 });
      expect(await relay.importEvents(events.slice(0, 3))).toEqual({ added: 0, rejected: 0, dups: 3 });
      await using c = await openRawClient(relay.url);
      c.send(['REQ', 's', { limit: 100 }]);
      const got = await c.take((m) => m[0] === 'EOSE');
      expect(got.filter((m) => m[0] === 'EVENT')).toHaveLength(20);
    } finally {
      await relay.stop();
    }
    await expect(access(relay.dir)).rejects.toThrow();
    await relay.stop(); // idempotent
  });

  it('applies --set overrides', async () => {
    await using relay = await startStrfry({ binary, settings: { 'relay.maxFilterLimit': '7' } });
    const info = await nip11(relay.port);
    expect(info.limitation.max_limit).toBe(7);
  });

  it('fails with strfry’s own message when it cannot start', async () => {
    await expect(startStrfry({ binary, config: '/nonexistent/strfry.conf' })).rejects.toThrow(/strfry did not start/);
  });
});
