/**
 * `bigbrotr up` stopped through the wrappers operators start it with: `timeout` over `npm exec` (what `npx`
 * runs), SIGHUP to the npm process (npm does not forward it), SIGKILL to npm. Real processes: after each, no
 * process of that run (npm, its shell, node, the embedded PostgreSQL and its workers, the watchdog) remains.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../core/embedded.js';
import { artifactDir } from '../testing/artifacts.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Every process below `root` (by /proc parent links). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended while listing
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, ppid] of parent) {
      if (ppid === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // a zombie has ended
  } catch {
    return false;
  }
}

/** An offline deployment (as in cli.test.ts) and an environment for `up` on its own data folder. */
async function setup(name: string): Promise<{ env: NodeJS.ProcessEnv; deployment: string }> {
  const dir = await artifactDir(`bb-wrapper-${name}-`);
  const deployment = join(dir, 'deployment');
  await cp(join(repo, 'deployments/bigbrotr'), deployment, { recursive: true });
  await writeFile(join(deployment, 'static/seed_relays.txt'), `# offline\nws://${'d'.repeat(56)}.onion\n`);
  const validator = join(deployment, 'config/services/validator.yaml');
  await writeFile(
    validator,
    (await readFile(validator, 'utf8')).replace('clearnet: {enabled: true', 'clearnet: {enabled: false'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BIGBROTR_DATA_DIR: join(dir, 'pg'),
    API_PORT: String(await freePort()),
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
  };
  for (const key of Object.keys(env)) if (key.startsWith('DB_') || key.startsWith('VITEST')) delete env[key];
  return { env, deployment };
}

/** Start `command` (a wrapper around `bigbrotr up`), wait for up_ready, and list every process of the run. */
async function startUp(command: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command[0] as string, command.slice(1), { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  while (!/up_ready/.test(err) && child.exitCode === null && Date.now() - started < 120_000) await sleep(100);
  expect(err, err).toMatch(/up_ready/);
  const pids = [child.pid as number, ...descendants(child.pid as number)];
  return { child, pids, exited, err: () => err };
}

/** The log lines still in the pipe are read once the last writer has closed it. */
async function drained(err: () => string): Promise<string> {
  const started = Date.now();
  while (!err().includes('up_stopped') && Date.now() - started < 10_000) await sleep(100);
  return err();
}

async function expectAllGone(pids: readonly number[]): Promise<void> {
  const started = Date.now();
  while (pids.some(alive) && Date.now() - started < 60_000) await sleep(200);
  const left = pids.filter(alive).map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 80)}`;
    } catch {
      return String(pid);
    }
  });
  expect(left).toEqual([]);
}

function hasPostgres(pids: readonly number[]): boolean {
  return pids.some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
    } catch {
      return false;
    }
  });
}

describe.runIf(process.platform === 'linux')('up under wrappers and supervisors', () => {
  it('timeout over npm exec: SIGTERM reaches bigbrotr, which stops everything and exits cleanly', async () => {
    const { env, deployment } = await setup('timeout');
    const run = await startUp(
      ['timeout', '300', 'npm', 'exec', '--', 'bigbrotr', 'up', '--deployment', deployment],
      env,
    );
    expect(hasPostgres(run.pids)).toBe(true);
    // a supervisor stopping `timeout` (timeout passes the signal on to npm, npm to bigbrotr)
    run.child.kill('SIGTERM');
    await run.exited;
    await expectAllGone(run.pids);
    expect(await drained(run.err)).toContain('up_stopped');
  }, 240_000);

  it('SIGHUP to npm (not forwarded by npm): bigbrotr sees npm gone and stops everything', async () => {
    const { env, deployment } = await setup('hup');
    const run = await startUp(['npm', 'exec', '--', 'bigbrotr', 'up', '--deployment', deployment], env);
    run.child.kill('SIGHUP');
    await run.exited;
    await expectAllGone(run.pids);
    expect(await drained(run.err)).toMatch(/has exited; stopping/);
    expect(await drained(run.err)).toContain('up_stopped');
  }, 240_000);

  it('SIGKILL to bigbrotr itself: the watchdog stops the embedded PostgreSQL', async () => {
    const { env, deployment } = await setup('kill');
    const run: { child: ChildProcess; pids: number[] } = await startUp(
      [process.execPath, 'bin/bigbrotr.js', 'up', '--deployment', deployment],
      env,
    );
    run.child.kill('SIGKILL');
    await expectAllGone(run.pids);
  }, 240_000);
});
