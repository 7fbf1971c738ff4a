/** Progress of a long import: a bar on a terminal, periodic lines otherwise. */
import type { Writable } from 'node:stream';
import type { ImportSummary } from './importer.js';

/** Where progress goes and how often. */
export interface ProgressOpts {
  readonly stream: Writable;
  readonly isTty: boolean;
  readonly totalBytes: number | undefined;
  bytesRead(): number;
  /** Whether the source was read to its end without error: until then the bar never shows 100 %. */
  complete?(): boolean;
  /** Minimum milliseconds between two reports (default 200 on a terminal, 5000 otherwise). */
  readonly everyMs?: number;
  readonly now?: () => number;
}

/** A progress reporter: call `update` as often as you like; `done` ends the bar line. */
export interface Progress {
  update(summary: ImportSummary): void;
  done(): void;
}

/** Build a progress reporter. */
export function createProgress(opts: ProgressOpts): Progress {
  const now = opts.now ?? Date.now;
  const started = now();
  const every = opts.everyMs ?? (opts.isTty ? 200 : 5000);
  let last = 0;
  let drawn = false;
  return {
    update(summary) {
      const t = now();
      if (t - last < every) return;
      last = t;
      const text = describe(summary, opts.bytesRead(), opts.totalBytes, (t - started) / 1000, opts.complete?.());
      if (opts.isTty) {
        opts.stream.write(`\r${text}\x1b[K`);
        drawn = true;
      } else {
        opts.stream.write(`import_progress ${text}\n`);
      }
    },
    done() {
      if (drawn) opts.stream.write('\n');
    },
  };
}

/** One progress line: percent and bar when the size is known, counts and rate. */
export function describe(
  s: ImportSummary,
  bytes: number,
  total: number | undefined,
  seconds: number,
  complete = true,
): string {
  const rate = seconds > 0 ? Math.round(s.read / seconds) : 0;
  const counts = `read=${s.read} inserted=${s.inserted} duplicates=${s.duplicates} invalid=${s.invalid} rate=${rate}/s`;
  if (!total) return counts;
  // every byte read is not every byte decoded: a truncated or failing file stops short of 100 %
  const fraction = Math.min(complete ? 1 : 0.999, bytes / total);
  const width = 24;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${counts}`;
}
