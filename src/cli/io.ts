/** The process surface the CLI touches, injectable so tests can run commands in-process. */
import type { Readable, Writable } from 'node:stream';
import { watchParent } from './lifeline.js';

/** Streams, environment and working directory of one CLI invocation. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly isTty: boolean;
  /** Aborted when the process is asked to stop (SIGINT / SIGTERM / SIGHUP, or its parent ends). */
  readonly stop: AbortSignal;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stderr.isTTY),
    stop: processStopSignal(),
  };
}

/**
 * SIGINT / SIGTERM / SIGHUP, or the end of the process that started bigbrotr (lifeline.ts), abort the returned
 * signal: services stop starting work, commit and exit. A second signal exits at once (status 130).
 *
 * Only signals count towards that second one. When a wrapper such as `npm exec` ends on SIGTERM, the parent watch
 * may see it gone before the SIGTERM the wrapper forwards arrives: that SIGTERM is the first request to stop, not
 * an impatient second one, and must not cut the graceful stop short.
 */
export function processStopSignal(): AbortSignal {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    if (!controller.signal.aborted) controller.abort(new Error(`received ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  watchParent((reason) => {
    if (!controller.signal.aborted) {
      println(process.stderr, `bigbrotr: ${reason}; stopping`);
      controller.abort(new Error(reason));
    }
  });
  return controller.signal;
}

/** Write a line to a stream. */
export function println(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}
