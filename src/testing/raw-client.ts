/**
 * A raw WebSocket client for tests that compare relays frame by frame: it sends any frame and keeps every frame
 * it receives, as text, in order. No parsing or validation, so what a relay really sent can be asserted.
 */
import WebSocket from 'ws';

/** An open raw connection. */
export interface RawClient extends AsyncDisposable {
  /** Every text frame received so far, in order. */
  readonly frames: readonly string[];
  /** Send a message (JSON-encoded unless already a string). */
  send(msg: readonly unknown[] | string): void;
  /**
   * Wait until a frame received after the last `take` matches `done` (parsed JSON), then return the frames received
   * since the last `take`, parsed, up to and including it. Rejects after `timeoutMs` (default 10 s).
   */
  take(done: (msg: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[][]>;
  /** Collect what arrives for `ms` milliseconds (to show that nothing more comes). */
  quiet(ms: number): Promise<unknown[][]>;
  /** Resolves with the close code once the relay closes the connection. */
  readonly closed: Promise<number>;
  close(): Promise<void>;
}

/** Open a raw connection to `url` (permessage-deflate on, as most clients offer it). */
export async function openRawClient(url: string): Promise<RawClient> {
  const ws = new WebSocket(url, { perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 });
  const frames: string[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push(String(data));
    wake?.();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  void closed.then(() => wake?.());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => undefined); // shows as `closed`

  const parse = (text: string): unknown[] => {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [v];
  };

  async function take(done: (msg: unknown[]) => boolean, timeoutMs = 10_000): Promise<unknown[][]> {
    const deadline = Date.now() + timeoutMs;
    let scanned = taken;
    for (;;) {
      for (; scanned < frames.length; scanned++) {
        if (done(parse(frames[scanned] as string))) {
          const out = frames.slice(taken, scanned + 1).map(parse);
          taken = scanned + 1;
          return out;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || ws.readyState === ws.CLOSED)
        throw new Error(`no matching frame within ${timeoutMs} ms; got ${frames.slice(taken).join(' ').slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  async function quiet(ms: number): Promise<unknown[][]> {
    await new Promise((r) => setTimeout(r, ms));
    const out = frames.slice(taken).map(parse);
    taken = frames.length;
    return out;
  }

  const close = async (): Promise<void> => {
    if (ws.readyState === ws.CLOSED) return;
    ws.close();
    await closed;
  };
  return {
    frames,
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    take,
    quiet,
    closed,
    close,
    [Symbol.asyncDispose]: close,
  };
}
