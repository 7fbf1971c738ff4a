/**
 * Deadlines and pauses that always fire (docs/design/deadlines.md). `AbortSignal.timeout` inside
 * `AbortSignal.any` can be garbage-collected on Node 20 before it fires (nodejs/node#57736), so a deadline
 * here is an AbortController plus a plain timer: the timer's callback holds the controller, the timer list
 * holds the timer, and the handle clears both when the work ends. Use it as
 * `using d = withDeadline(ms, signal); await work(d.signal);`.
 */

/** A signal that aborts when its time passes or its parent aborts, and the means to stop its timer. */
export interface Deadline extends Disposable {
  readonly signal: AbortSignal;
  /** Stop the timer and detach from the parent (idempotent); the signal keeps its state. */
  clear(): void;
}

/**
 * The deadlines waiting on each parent signal. A parent gets one listener however many deadlines hang on it
 * (a cycle's signal may carry hundreds at once, past EventTarget's listener warning); clearing a deadline
 * only removes it from the set.
 */
const children = new WeakMap<AbortSignal, Set<() => void>>();

/** Call `fn` when `parent` aborts; the returned function stops that. */
function onParentAbort(parent: AbortSignal, fn: () => void): () => void {
  let waiting = children.get(parent);
  if (!waiting) {
    const set = new Set<() => void>();
    children.set(parent, set);
    parent.addEventListener(
      'abort',
      () => {
        children.delete(parent);
        for (const f of set) f();
      },
      { once: true },
    );
    waiting = set;
  }
  const set = waiting;
  set.add(fn);
  return () => void set.delete(fn);
}

/** The longest delay `setTimeout` takes (about 24.8 days); longer deadlines re-arm in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** The abort reason of a deadline that passed: a `TimeoutError`, as `AbortSignal.timeout` gives. */
export function deadlineReason(ms: number): DOMException {
  return new DOMException(`deadline of ${ms} ms reached`, 'TimeoutError');
}

/**
 * A deadline of `ms` milliseconds (never, when not finite), aborting early when `parent` aborts (with the
 * parent's reason). The timer is strongly referenced until it fires, `clear()` is called or the handle is
 * disposed; clearing also detaches it from `parent`, so long-lived parents collect nothing.
 */
export function withDeadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const due = Date.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout | undefined;
  let detach: (() => void) | undefined;
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    detach?.();
    detach = undefined;
  };
  const abort = (reason: unknown): void => {
    clear();
    controller.abort(reason);
  };
  const arm = (): void => {
    const left = due - Date.now();
    if (left > MAX_TIMER_MS) timer = setTimeout(arm, MAX_TIMER_MS);
    else timer = setTimeout(() => abort(deadlineReason(ms)), Math.max(0, left));
  };
  if (parent?.aborted) controller.abort(parent.reason);
  else {
    if (Number.isFinite(ms)) arm();
    if (parent) detach = onParentAbort(parent, () => abort(parent.reason));
  }
  return { signal: controller.signal, clear, [Symbol.dispose]: clear };
}

/** Wait `ms`, or less when `signal` aborts. Resolves true when the full wait elapsed, false when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (full: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(full);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
