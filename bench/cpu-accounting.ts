/**
 * Where a run's CPU went, by process, from /proc (Linux): this process's finished children (the CLI run by
 * `runCli`), a relay process still running (strfry), and the PostgreSQL server (every live `postgres` process, plus
 * what its postmaster has collected from backends that ended). Read before and after a run; the difference is the
 * run's CPU in seconds. On a two-core machine the sum over the three bounds the wall time from below: sum / 2.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Stat {
  readonly comm: string;
  /** utime + stime of the process itself, in ticks. */
  readonly own: number;
  /** cutime + cstime: its children that ended and were collected, in ticks. */
  readonly children: number;
}

function stat(pid: number | 'self'): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    // fields after the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { comm, own: (f[11] ?? 0) + (f[12] ?? 0), children: (f[13] ?? 0) + (f[14] ?? 0) };
  } catch {
    return undefined;
  }
}

function postgresTicks(): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s?.comm === 'postgres') total += s.own + s.children;
  }
  return total;
}

/** CPU seconds so far, per side. */
export interface CpuSnapshot {
  readonly cli: number;
  readonly relay: number;
  readonly postgres: number;
}

/** A snapshot; `relayPid` is a relay process to account for (absent: 0). */
export function cpuSnapshot(relayPid?: number): CpuSnapshot {
  const relay = relayPid === undefined ? undefined : stat(relayPid);
  return {
    cli: (stat('self')?.children ?? 0) / TICKS_PER_SECOND,
    relay: (relay?.own ?? 0) / TICKS_PER_SECOND,
    postgres: postgresTicks() / TICKS_PER_SECOND,
  };
}

/** "CPU 7.9 s: bigbrotr 4.6, strfry 1.1, PostgreSQL 2.2" between two snapshots. */
export function cpuLine(before: CpuSnapshot, after: CpuSnapshot, relayName?: string): string {
  const cli = after.cli - before.cli;
  const relay = after.relay - before.relay;
  const pg = after.postgres - before.postgres;
  const parts = [`bigbrotr ${cli.toFixed(1)}`, ...(relayName ? [`${relayName} ${relay.toFixed(1)}`] : [])];
  return `CPU ${(cli + relay + pg).toFixed(1)} core-s: ${parts.join(', ')}, PostgreSQL ${pg.toFixed(1)}`;
}
