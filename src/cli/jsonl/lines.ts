/** Bounded line reading for JSONL files: plain or gzip, file or standard input. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One line of input, or a line that exceeded the size bound (its text is not kept). */
export type Line = { readonly n: number; readonly text: string } | { readonly n: number; readonly tooLong: true };

/** An open JSONL source: its lines, the bytes consumed so far and the total size when known. */
export interface LineSource {
  readonly lines: AsyncIterable<Line>;
  bytesRead(): number;
  readonly totalBytes: number | undefined;
}

/** Open `path` ('-' = `stdin`), gunzipping when the name ends in `.gz`. */
export async function openLineSource(path: string, stdin: Readable, maxLineBytes: number): Promise<LineSource> {
  const totalBytes = path === '-' ? undefined : (await stat(path)).size;
  const raw = path === '-' ? stdin : createReadStream(path);
  let consumed = 0;
  // Count bytes as they pass (a 'data' listener would start the flow before anyone reads the lines).
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      consumed += chunk.length;
      done(null, chunk);
    },
  });
  // pipeline destroys every stage on error, so a truncated gzip surfaces through the iteration below.
  const onDone = (): void => {};
  const stream: Readable = path.endsWith('.gz')
    ? pipeline(raw, counter, createGunzip(), onDone)
    : pipeline(raw, counter, onDone);
  return { lines: splitLines(stream, maxLineBytes), bytesRead: () => consumed, totalBytes };
}

/** Split a byte stream on `\n` (a trailing `\r` is dropped); a line longer than `maxLineBytes` is reported, not kept. */
export async function* splitLines(stream: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<Line> {
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
  for await (const chunk of stream) {
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
  if (size > 0 || tooLong) yield finish();

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
