/**
 * Forced garbage collection for the deadline tests (docs/design/deadlines.md): vitest runs its workers with
 * `--expose-gc` (vitest.config.ts), so `global.gc` exists; without it these helpers throw, failing the test.
 */
import { setImmediate as nextTurn, setTimeout as pause } from 'node:timers/promises';

/** `global.gc`, or an error saying how to get it. */
export function exposedGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    throw new Error('global.gc is missing: run node with --expose-gc (vitest.config.ts sets it for test workers)');
  }
  return gc;
}

/** One full collection after allocating about `objects` short-lived objects (pressure on the young space). */
export function collectGarbage(objects = 100_000): void {
  const gc = exposedGc();
  let junk: { i: number }[] | undefined = Array.from({ length: objects }, (_, i) => ({ i }));
  if (junk.length !== objects) throw new Error('unreachable');
  junk = undefined;
  gc();
}

/** Collections forced every `everyMs` in the background until `stop()`, which returns how many ran. */
export interface GcPressure {
  stop(): Promise<number>;
}

/** Start forcing collections (with allocation pressure) every `everyMs` until stopped. */
export function startGcPressure(everyMs = 50): GcPressure {
  exposedGc();
  let running = true;
  let collections = 0;
  const loop = (async () => {
    while (running) {
      collectGarbage();
      collections += 1;
      await nextTurn();
      await pause(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return collections;
    },
  };
}

/** Force `times` collections, one per turn of the event loop, so pending callbacks run in between. */
export async function collectGarbageTimes(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    collectGarbage();
    await nextTurn();
  }
}
