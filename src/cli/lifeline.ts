/**
 * bigbrotr stops when whoever started it is gone. Supervisors signal the process they started: `timeout`,
 * systemd and Docker signal bigbrotr itself (or its process group), and npm/npx forward SIGINT and SIGTERM to
 * their child. Two cases reach nobody: a wrapper that dies of a signal it does not forward (SIGHUP, SIGKILL to
 * `npx`) and a parent killed outright. So the parent is watched: once a second, the process checks that its
 * parent is still the one that started it; under npm (`npx bigbrotr`, `npm exec`, `npm run`), where the parent is
 * the `sh -c` npm runs the command in and survives npm, the npm process above it is watched too. When a watched
 * process is gone, bigbrotr stops as on SIGTERM (commit, release, stop the embedded server).
 *
 * Linux only for the npm case (the grandparent is read from /proc); elsewhere only the parent is watched.
 */
import { readFileSync } from 'node:fs';

/** The parent process id of `pid`, from /proc (undefined where there is no /proc). */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The processes whose end means "stop": the parent, and the npm above a `sh -c` npm started. */
export function watchedAncestors(env: Readonly<Record<string, string | undefined>>, ppid = process.ppid): number[] {
  const watched = [ppid];
  const underNpm = env.npm_lifecycle_event !== undefined || env.npm_command !== undefined;
  if (underNpm && ['sh', 'dash', 'bash'].includes(commandName(ppid))) {
    const npm = parentOf(ppid);
    if (npm && npm > 1) watched.push(npm);
  }
  return watched;
}

/** Whether a process with this pid exists (one of another user counts: signalling it is refused, EPERM). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Call `onLost` once, when the parent changes (this process was re-parented) or a watched ancestor ends.
 * Returns a function that stops watching. The timer never keeps the process alive.
 */
export function watchParent(
  onLost: (reason: string) => void,
  opts: { env?: Readonly<Record<string, string | undefined>>; everyMs?: number } = {},
): () => void {
  const ppid = process.ppid;
  if (ppid <= 1) return () => {}; // started by init (a container's PID 1 child, a daemon): nothing to watch
  const watched = watchedAncestors(opts.env ?? process.env, ppid);
  const timer = setInterval(() => {
    const gone = process.ppid !== ppid ? ppid : watched.find((pid) => !isAlive(pid));
    if (gone === undefined) return;
    clearInterval(timer);
    onLost(`the process that started bigbrotr (pid ${gone}) has exited`);
  }, opts.everyMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
