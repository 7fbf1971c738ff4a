/**
 * Gunzip that keeps what it could decode. zlib destroys its stream when the data ends early (a truncated file)
 * or is corrupt, and a destroyed stream drops the output still buffered in it: a small truncated file yielded
 * no line at all, a large one lost its last buffered lines when the reader was slower than the decoder. Here the
 * decoder's failure is remembered (`failure`) and the stream ends cleanly after the last decoded byte; the
 * reader raises the failure once every line before it has been handed over. A sync flush after every chunk makes
 * zlib emit everything it can decode as it goes. Back-pressure holds: the decoder pauses while the reader is
 * behind, and the file is not read further until the decoder has taken the previous chunk.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';

/** A gunzip stream that ends, instead of failing, where the gzip data stops being readable. */
export class TolerantGunzip extends Transform {
  /** Why decoding stopped early (undefined while everything decoded so far was well-formed). */
  failure: Error | undefined;
  private readonly inner = createGunzip({ flush: constants.Z_SYNC_FLUSH });
  private readonly waiting = new Set<() => void>();

  constructor() {
    super();
    this.inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.inner.pause();
    });
    this.inner.on('error', (err) => {
      this.failure = err;
      for (const release of [...this.waiting]) release();
    });
  }

  override _read(size: number): void {
    this.inner.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.failure) {
      cb(); // the rest of a broken file cannot be decoded
      return;
    }
    this.inner.write(chunk, this.exactlyOnce(cb));
  }

  override _flush(cb: TransformCallback): void {
    if (this.failure) {
      cb();
      return;
    }
    const done = this.exactlyOnce(cb);
    this.inner.once('end', done);
    this.inner.end();
  }

  // a callback run exactly once: when zlib is done with the data, or when it fails
  private exactlyOnce(cb: TransformCallback): () => void {
    const release = (): void => {
      if (!this.waiting.delete(release)) return;
      cb();
    };
    this.waiting.add(release);
    return release;
  }
}
