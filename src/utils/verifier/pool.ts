/**
 * A pool of worker threads that verifies batches of events (id and BIP-340 signature) on every core.
 * Batches are split evenly across the workers; answers come back in the input order.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NostrEvent } from '../../models/event.js';
import { sleep } from '../deadline.js';
import { WORKER_SOURCE } from './worker-source.js';

/** Pool options: `threads` defaults to the number of cores. */
export interface VerifierPoolOpts {
  readonly threads?: number;
  /** Use the pure-JS verifier even when the native build exists (for comparisons). */
  readonly forceJs?: boolean;
}

/** Raised for work a pool could not do: it was closed, or a worker died. */
export class VerifierPoolError extends Error {
  override name = 'VerifierPoolError';
}

interface Pending {
  resolve(flags: Uint8Array): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Resolves with the verifier's name once the worker has loaded it. */
  readonly loaded: Promise<string>;
  /** Resolves when the thread has ended. */
  readonly ended: Promise<void>;
}

/**
 * How long `close()` waits for a worker to end by itself before terminating it. A thread is never terminated
 * while it may be inside bcrypto's native code: N-API calls made during a termination fail, and bcrypto answers
 * with a C assertion that aborts the whole process (exit 134). So `close()` asks each worker to stop; the worker
 * finishes the batch in hand (or its loading) and ends. Termination stays only for a worker that does not answer.
 */
const STOP_WAIT_MS = 10_000;

/** The worker pool. Dispose it (or `close()`) to stop the threads. */
export class VerifierPool implements AsyncDisposable {
  readonly threads: number;
  readonly backend: Promise<string>;
  private readonly slots: Slot[];
  private seq = 0;
  private closed = false;
  private queued = 0;

  constructor(opts: VerifierPoolOpts = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    const require = createRequire(import.meta.url);
    const workerData = {
      bcrypto: opts.forceJs ? undefined : resolveOptional(require, 'bcrypto/lib/native/schnorr'),
      noble: require.resolve('@noble/curves/secp256k1.js'),
    };
    this.slots = Array.from({ length: this.threads }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData,
        // a worker holds one batch at a time: a small young generation keeps each thread's heap small
        resourceLimits: { maxYoungGenerationSizeMb: 8 },
      });
      const pending = new Map<number, Pending>();
      const fail = (err: Error): void => {
        for (const p of pending.values())
          p.reject(new VerifierPoolError(`verifier worker died: ${err.message}`, { cause: err }));
        pending.clear();
      };
      const loaded = new Promise<string>((resolve, reject) => {
        worker.on('message', (m: { seq?: number; flags?: Uint8Array; ready?: string; failed?: string }) => {
          if (m.ready) resolve(m.ready);
          else if (m.failed) reject(new VerifierPoolError(m.failed));
          else if (m.seq !== undefined && m.flags) {
            pending.get(m.seq)?.resolve(m.flags);
            pending.delete(m.seq);
            // An idle pool must not keep the process alive; a busy one must.
            if (pending.size === 0) worker.unref();
          }
        });
        worker.on('error', (err) => {
          fail(err);
          reject(err);
        });
        worker.on('exit', (code) => {
          fail(new Error(`exit code ${code}`));
          reject(new VerifierPoolError(`verifier worker exited with code ${code} before it was ready`));
        });
      });
      loaded.catch(() => undefined);
      const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.unref();
      return { worker, pending, loaded, ended };
    });
    this.backend = Promise.all(this.slots.map((s) => s.loaded)).then((names) => names[0] ?? 'none');
    this.backend.catch(() => undefined);
  }

  /** Events waiting for an answer (for metrics: the verify queue depth). */
  get queueDepth(): number {
    return this.queued;
  }

  /** Verify id and signature of each event; resolves to one byte per event (1 = valid), in order. */
  verify(events: readonly NostrEvent[], opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return this.run(events, false, opts.signal);
  }

  /**
   * Check only the BIP-340 signature of each event over its id as given; one byte per event (1 = valid). The id is
   * NOT recomputed: only for callers that have already recomputed every id from the event's fields (`proveCopies`
   * does, for every copy). Only the id, pubkey and signature cross to the worker, so the tags and content are
   * neither copied nor serialised a second time.
   */
  verifySignatures(
    events: readonly Pick<NostrEvent, 'id' | 'pubkey' | 'sig'>[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    return this.run(
      events.map((e) => ({ id: e.id, pubkey: e.pubkey, sig: e.sig })),
      true,
      opts.signal,
    );
  }

  private async run(events: readonly object[], sigOnly: boolean, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.closed) throw new VerifierPoolError('the verifier pool is closed');
    signal?.throwIfAborted();
    if (events.length === 0) return new Uint8Array(0);
    const per = Math.ceil(events.length / this.threads);
    const parts: Promise<Uint8Array>[] = [];
    for (let i = 0, s = 0; i < events.length; i += per, s++) {
      parts.push(this.send(this.slots[s % this.slots.length] as Slot, events.slice(i, i + per), sigOnly, signal));
    }
    this.queued += events.length;
    try {
      const results = await Promise.all(parts);
      const out = new Uint8Array(events.length);
      let offset = 0;
      for (const r of results) {
        out.set(r, offset);
        offset += r.length;
      }
      return out;
    } finally {
      this.queued -= events.length;
    }
  }

  private send(slot: Slot, events: readonly object[], sigOnly: boolean, signal?: AbortSignal): Promise<Uint8Array> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        slot.pending.delete(seq);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.pending.set(seq, {
        resolve: (f) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(f);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      slot.worker.ref();
      slot.worker.postMessage({ seq, events, sigOnly });
    });
  }

  /** Stop every worker once it has finished the batches already sent to it; further work is refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        s.worker.postMessage({ stop: true });
        const waited = new AbortController();
        const ended = await Promise.race([s.ended.then(() => true), sleep(STOP_WAIT_MS, waited.signal)]);
        waited.abort();
        if (ended !== true) await s.worker.terminate();
      }),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function resolveOptional(require: NodeRequire, id: string): string | undefined {
  try {
    return require.resolve(id);
  } catch {
    return undefined;
  }
}

/** Build a verifier pool. */
export function createVerifierPool(opts: VerifierPoolOpts = {}): VerifierPool {
  return new VerifierPool(opts);
}
