/** The CLI's I/O for in-process tests: stdin from a string, stdout and stderr captured as text. */

import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../cli/io.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Captured CLI I/O: pass `io` to `main`, read what it wrote with `out()` and `err()` (also while it runs). */
export function captureIo(
  env: Record<string, string>,
  opts: { stdin?: string; stop?: AbortSignal } = {},
): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk, _e, cb) {
        append(String(chunk));
        cb();
      },
    });
  const io: CliIo = {
    stdin: Readable.from([opts.stdin ?? '']),
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env,
    cwd: repo,
    isTty: false,
    stop: opts.stop ?? new AbortController().signal,
  };
  return { io, out: () => out, err: () => err };
}
