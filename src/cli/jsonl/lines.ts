/** Bounded line reading for JSONL files: plain or gzip, file or standard input. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, type Readable, Transform } from 'node:stream';
import { TolerantGunzip } from './gunzip.js';

/** One line of input, or a line that exceeded the size bound (its text is not kept). */
export type Line = { readonly n: number; readonly text: string } | { readonly n: number; readonly tooLong: true };

/** An open JSONL source: its lines, the bytes consumed so far and the total size when known. */
export interface LineSource {
  readonly lines: AsyncIterable<Line>;
  bytesRead(): number;
  readonly totalBytes: number | undefined;
  /** Whether the whole source was read and decoded without error (a truncated gzip never is). */
  complete(): boolean;
}

/** The input ended or failed in the middle: names the last complete line, everything up to it was yielded. */
export class TruncatedInputError extends Error {
  override name = 'TruncatedInputError';
  constructor(
    readonly lastLine: number,
    cause: unknown,
  ) {
    const why = (cause as Error | undefined)?.message ?? String(cause);
    super(`the input is cut short after line ${lastLine} (${why}); a partial last line is not imported`, { cause });
  }
}

/** Open `path` ('-' = `stdin`), gunzipping when the name ends in `.gz`. */
export async function openLineSource(path: string, stdin: Readable, maxLineBytes: number): Promise<LineSource> {
  const totalBytes = path === '-' ? undefined : (await stat(path)).size;
  let consumed = 0;
  // Count bytes as they pass (a 'data' listener would start the flow before anyone reads the lines).
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      consumed += chunk.length;
      done(null, chunk);
    },
  });
  let complete = false;
  // Opened when the first line is asked for: a pipeline started earlier would decode (and fail) unread.
  async function* lines(): AsyncGenerator<Line> {
    const raw = path === '-' ? stdin : createReadStream(path);
    const gunzip = path.endsWith('.gz') ? new TolerantGunzip() : undefined;
    const stream: Readable = gunzip
      ? (pipeline(raw, counter, gunzip as Transform, () => {}) as Transform)
      : (pipeline(raw, counter, () => {}) as Transform);
    const last = yield* splitLines(stream, maxLineBytes, () => !gunzip?.failure);
    // the decoder stopped early: every line before it has been yielded; a partial last line is not
    if (gunzip?.failure) throw new TruncatedInputError(last, gunzip.failure);
    complete = true;
  }
  return { lines: lines(), bytesRead: () => consumed, totalBytes, complete: () => complete };
}

/** Split a byte stream on `\n` (a trailing `\r` is dropped); a line longer than `maxLineBytes` is reported, not kept. */
export async function* splitLines(
  stream: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
  /** Whether a last line without a newline is whole (not when the input was cut short). */
  lastLineWhole: () => boolean = () => true,
): AsyncGenerator<Line, number> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let n = 0;
  const finish = (): Line => {
    n += 1;
    if (tooLong) return { n, tooLong: true };
    let buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    return { n, text: buf.toString('utf8') };
  };
  const iterator = stream[Symbol.asyncIterator]();
  try {
    yield* lines();
    return n;
  } finally {
    // a consumer that stops early releases the stream (as for-await would)
    await iterator.return?.();
  }

  async function* lines(): AsyncGenerator<Line> {
    while (true) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw new TruncatedInputError(n, err);
      }
      if (next.done) break;
      const chunk = next.value;
      let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let nl = buf.indexOf(0x0a);
      while (nl !== -1) {
        append(buf.subarray(0, nl));
        yield finish();
        parts = [];
        size = 0;
        tooLong = false;
        buf = buf.subarray(nl + 1);
        nl = buf.indexOf(0x0a);
      }
      append(buf);
    }
    if ((size > 0 || tooLong) && lastLineWhole()) yield finish();
  }

  function append(piece: Buffer): void {
    if (tooLong || piece.length === 0) return;
    if (size + piece.length > maxLineBytes) {
      tooLong = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(piece);
    size += piece.length;
  }
}
