/** The process guard in a real process: an uncaught exception ends it with exit 1 and a redacted stack. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));

describe('process guard', () => {
  it('ends the process on an uncaught exception, exit 1, with the password in its message masked', () => {
    const script = [
      "import { installProcessGuards } from './src/cli/guard.ts';",
      'installProcessGuards();',
      "setImmediate(() => { throw new Error('cannot reach postgres://writer:hunter2@db:5432/bigbrotr'); });",
      'setTimeout(() => {}, 5000);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot reach postgres://writer:***@db:5432/bigbrotr');
    expect(r.stderr).not.toContain('hunter2');
  });
});
