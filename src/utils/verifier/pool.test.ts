import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EventId, NostrEvent, Pubkey } from '../../models/event.js';
import { artifactDir } from '../../testing/artifacts.js';
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

  it('verifySignatures checks each signature over the id as given, with both backends; only verify recomputes ids', async () => {
    const otherKey = generateEvents(1, { seed: 4 })[0] as NostrEvent;
    const mixed: NostrEvent[] = events.map((e, i) =>
      i % 7 === 0
        ? { ...e, sig: flip(e.sig) }
        : i % 5 === 0
          ? { ...e, pubkey: otherKey.pubkey }
          : i % 13 === 0
            ? { ...e, id: flip(e.id) as EventId }
            : i % 11 === 0
              ? { ...e, content: `${e.content}!` }
              : e,
    );
    // a changed content leaves id and signature matching: the signature check alone accepts it (the caller,
    // proveCopies, refuses it earlier by recomputing the id); verify refuses it
    const sigOk = (i: number): boolean => i % 7 !== 0 && i % 5 !== 0 && i % 13 !== 0;
    for (const forceJs of [false, true]) {
      await using pool = createVerifierPool({ threads: 2, forceJs });
      expect(Array.from(await pool.verifySignatures(mixed))).toEqual(mixed.map((_, i) => (sigOk(i) ? 1 : 0)));
      expect(Array.from(await pool.verify(mixed))).toEqual(mixed.map((_, i) => (sigOk(i) && i % 11 !== 0 ? 1 : 0)));
      const junk = { ...(events[0] as NostrEvent), id: 'zz' as EventId, pubkey: 'aa' as Pubkey, sig: 'bb' };
      expect(Array.from(await pool.verifySignatures([junk]))).toEqual([0]);
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
    // a message the worker cannot read makes it throw and end (terminating it instead could catch it inside
    // bcrypto's native code, which aborts this whole process); the batch queued behind it is never answered
    const worker = (pool as unknown as { slots: { worker: { postMessage(m: unknown): void } }[] }).slots[0]?.worker;
    worker?.postMessage({ seq: -1, events: null });
    const pending = pool.verify(generateEvents(2000, { seed: 9 }));
    await expect(pending).rejects.toThrow(/died/);
    await pool.close();
  });

  it('closing a pool while its workers load the native verifier or verify never aborts the process', async () => {
    // bcrypto asserts (C abort, exit 134) when its thread is terminated during its module initialisation: run the
    // closes in a child process, where an abort shows as its exit status instead of killing the test worker
    const script = join(await artifactDir('bb-verifier-close-'), 'close.mts');
    await writeFile(
      script,
      `import { createVerifierPool } from ${JSON.stringify(fileURLToPath(new URL('./pool.ts', import.meta.url)))};
// the pool's threads are unref'd: keep the event loop up meanwhile
const alive = setInterval(() => {}, 1000);
// the closes spread over the time a worker takes to load, measured here (it varies with the machine's load)
const first = createVerifierPool({ threads: 2 });
const started = performance.now();
await first.backend;
const loadMs = performance.now() - started;
await first.close();
// every other pool is closed with a batch in hand (its first verify also creates bcrypto's context)
const batch = ${JSON.stringify(events.slice(0, 50))};
for (let i = 0; i < 120; i++) {
  const p = createVerifierPool({ threads: 2 });
  await new Promise((r) => setTimeout(r, ((i % 12) * loadMs) / 10));
  if (i % 2) p.verify(batch).catch(() => undefined);
  await p.close();
}
clearInterval(alive);
console.log('closed 120');
`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
    expect({ status: run.status, signal: run.signal, stderr: run.stderr.slice(0, 1500) }).toEqual({
      status: 0,
      signal: null,
      stderr: '',
    });
    expect(run.stdout).toContain('closed 120');
  }, 150_000);
});
