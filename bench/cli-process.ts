/**
 * Run the built CLI (`bin/bigbrotr.js`, needs `npm run build`) in its own process against a database, as a user
 * would: wall time, peak RSS (VmHWM from /proc/<pid>/status) and its output. BIGBROTR_BENCH_NODE_ARGS adds Node
 * flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). `cwd` runs another checkout's built CLI (a baseline).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { cliDatabaseEnv } from '../src/testing/cli-env.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** What one CLI run gave. */
export interface CliRun {
  readonly seconds: number;
  /** Peak resident set of the CLI's process (bytes). */
  readonly peak: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `bigbrotr <args>` against the database at `url`; throws on a non-zero exit. */
export async function runCli(
  args: readonly string[],
  url: string,
  nodeArgs: readonly string[] = [],
  cwd: string = root,
): Promise<CliRun> {
  const env = { ...process.env, ...cliDatabaseEnv(url), NOSTR_PRIVATE_KEY: '33'.repeat(32) };
  const extra = process.env.BIGBROTR_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const started = performance.now();
  const child = spawn(process.execPath, [...extra, ...nodeArgs, 'bin/bigbrotr.js', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  let peak = 0;
  const sample = async (): Promise<void> => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
  };
  const sampler = setInterval(() => void sample(), 100);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0)
    throw new Error(`bigbrotr ${args[0]} exited with ${code}:\n${stderr.slice(-2000)}${stdout.slice(-500)}`);
  return { seconds, peak, stdout, stderr };
}
