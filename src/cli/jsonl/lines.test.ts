import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { artifactDir } from '../../testing/artifacts.js';
import { type Line, openLineSource, splitLines, TruncatedInputError } from './lines.js';
import { describe as describeProgress } from './progress.js';

async function collect(lines: AsyncIterable<Line>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('splitLines', () => {
  it('splits across chunk boundaries, drops \\r, keeps a last line without newline', async () => {
    const chunks = [Buffer.from('ab'), Buffer.from('c\r\nde'), Buffer.from('f\n\ng')];
    expect(await collect(splitLines(Readable.from(chunks), 100))).toEqual([
      { n: 1, text: 'abc' },
      { n: 2, text: 'def' },
      { n: 3, text: '' },
      { n: 4, text: 'g' },
    ]);
  });

  it('reports an over-long line without keeping it and resynchronises on the next newline', async () => {
    const chunks = [Buffer.from('short\n'), Buffer.alloc(50, 0x61), Buffer.alloc(50, 0x62), Buffer.from('\nok\n')];
    expect(await collect(splitLines(Readable.from(chunks), 64))).toEqual([
      { n: 1, text: 'short' },
      { n: 2, tooLong: true },
      { n: 3, text: 'ok' },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('café\n');
    const chunks = [bytes.subarray(0, 4), bytes.subarray(4)];
    expect(await collect(splitLines(Readable.from(chunks), 100))).toEqual([{ n: 1, text: 'café' }]);
  });
});

describe('openLineSource', () => {
  it('reads gzip files and reports a truncated one as an error after the lines before it', async () => {
    const dir = await artifactDir('bb-lines-');
    const text = Array.from({ length: 2000 }, (_, i) => `line-${i}-${'x'.repeat(40)}`).join('\n');
    const gz = gzipSync(text);
    await writeFile(join(dir, 'ok.jsonl.gz'), gz);
    const ok = await openLineSource(join(dir, 'ok.jsonl.gz'), Readable.from([]), 1000);
    expect((await collect(ok.lines)).length).toBe(2000);
    expect(ok.bytesRead()).toBe(gz.length);

    await writeFile(join(dir, 'cut.jsonl.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const cut = await openLineSource(join(dir, 'cut.jsonl.gz'), Readable.from([]), 1000);
    const seen: Line[] = [];
    await expect(
      (async () => {
        for await (const l of cut.lines) seen.push(l);
      })(),
    ).rejects.toThrow(/unexpected end of file/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(2000);
  });

  it('hands over every complete line of a small truncated gzip, even to a slow reader, then names the line', async () => {
    const dir = await artifactDir('bb-lines-cut-');
    const lines = Array.from({ length: 60 }, (_, i) => `{"n":${i},"pad":"${'y'.repeat(60)}"}`);
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const path = join(dir, 'small-cut.jsonl.gz');
    await writeFile(path, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const cut = await openLineSource(path, Readable.from([]), 1000);
    await sleep(200); // nothing is decoded (or lost) before the first line is asked for
    const seen: Line[] = [];
    const error = await (async () => {
      for await (const l of cut.lines) {
        seen.push(l);
        await sleep(2); // slower than the decoder
      }
    })().catch((e: unknown) => e as TruncatedInputError);
    expect(error).toBeInstanceOf(TruncatedInputError);
    expect(seen.length).toBeGreaterThan(0);
    // every line handed over is whole and in order; the error names the last one
    expect(seen).toEqual(lines.slice(0, seen.length).map((text, i) => ({ n: i + 1, text })));
    expect((error as TruncatedInputError).lastLine).toBe(seen.length);
    expect((error as Error).message).toContain(`after line ${seen.length}`);
    expect(cut.complete()).toBe(false);
    // and the progress bar never says 100 % of it
    const summary = { read: seen.length, inserted: 0, duplicates: 0, invalid: 0, rejected: [] };
    expect(describeProgress(summary, gz.length, gz.length, 1, cut.complete())).toContain('99.9%');
    expect(describeProgress(summary, gz.length, gz.length, 1, true)).toContain('100.0%');
  });
});
