/**
 * The embedded PostgreSQL outlives nothing that started it. Its postmaster runs in its own process group (so a
 * terminal's Ctrl-C reaches only bigbrotr, which stops it after the last commit), so two guards stop it when
 * bigbrotr ends without stopping it itself:
 *
 * - an `exit` hook: `process.exit` after a fatal error sends the postmaster SIGINT (PostgreSQL's fast shutdown:
 *   open transactions roll back, committed work is on disk);
 * - a watchdog for deaths no hook sees (SIGKILL, the OOM killer): a tiny `sh` whose stdin is a pipe from this
 *   process. The kernel closes the pipe when this process dies, however it dies; `read` then sees end of file and
 *   the shell sends the postmaster SIGINT. The shell costs about 1 MB and no CPU while it waits.
 *
 * Both are released before an orderly stop, so they never signal a server that is already stopping.
 */
import { spawn } from 'node:child_process';

/** Guards of one running server. */
export interface ServerGuard {
  /** Remove the exit hook and end the watchdog (before the server is stopped on purpose). */
  release(): void;
}

const WATCHDOG = 'while read -r _; do :; done; kill -INT "$1" 2>/dev/null';

/** Guard the postmaster with process id `pid`. */
export function guardServer(pid: number): ServerGuard {
  const onExit = (): void => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'bigbrotr-pg-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => undefined); // no sh: the exit hook still covers every exit but SIGKILL
  watchdog.stdin?.on('error', () => undefined);
  // neither the child nor its pipe keeps the event loop alive
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      watchdog.kill('SIGKILL');
    },
  };
}
