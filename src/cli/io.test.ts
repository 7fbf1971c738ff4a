/**
 * The process stop signal, on a real process whose parent exits. The parent watch sees the parent gone first and
 * starts the graceful stop; the SIGTERM that arrives afterwards (the one a wrapper such as `timeout` or npm
 * forwards) is the first signal, not a second one, so the graceful stop runs to its end instead of exiting 130.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './deployment.js';
import { isAlive as alive } from './lifeline.js';

describe.runIf(process.platform === 'linux')('processStopSignal', () => {
  it('a SIGTERM after the parent watch has stopped the process does not cut the graceful stop short', async () => {
    const entry = new URL('./io.ts', import.meta.url).pathname;
    // the child: once stopped, a "graceful stop" of 2 s, then a last line and exit 0
    const script = `const { processStopSignal } = await import(${JSON.stringify(entry)});
      const stop = processStopSignal();
      console.log('pid ' + process.pid);
      stop.addEventListener('abort', () => { console.log('stopping'); setTimeout(() => { console.log('graceful'); process.exit(0); }, 2000); });
      setTimeout(() => process.exit(3), 30_000); // never outlives the test`;
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('npm_')) env[key] = value;
    // the shell starts the child and exits: the child is re-parented and its parent watch fires
    const shell = spawn('sh', ['-c', `"${process.execPath}" --import tsx --input-type=module -e "$SCRIPT" & sleep 1`], {
      cwd: PACKAGE_ROOT,
      env: { ...env, SCRIPT: script },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    shell.stdout.on('data', (d) => {
      out += String(d);
    });
    shell.stderr.on('data', (d) => {
      err += String(d);
    });
    const started = Date.now();
    while (!out.includes('stopping') && Date.now() - started < 60_000) await sleep(50);
    expect(err).toContain('has exited; stopping');
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGTERM');
    while (alive(pid) && Date.now() - started < 60_000) await sleep(50);
    expect(out, err).toContain('graceful');
  }, 90_000);
});
