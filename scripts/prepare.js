#!/usr/bin/env node
/**
 * The package's `prepare` step: build dist/ when it is missing or older than the sources, otherwise do nothing.
 *
 * `npx bigbrotr` (npm exec) run inside this repository installs the package itself into npm's npx cache as a
 * link, and npm runs a linked package's `prepare` script; an unconditional `tsc` there made the first
 * `npx bigbrotr up` after `npm ci` wait about 30 s for a second identical build. Usage:
 *   node scripts/prepare.js           build when stale
 *   node scripts/prepare.js --check   print whether a build is needed (exit 0 up to date, 1 stale)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** tsc rewrites every output on each build, so the entry point's time is the build's time. */
const OUTPUT = join(root, 'dist', 'cli', 'main.js');

/** The newest modification time (ms) of the files the build reads. */
export function newestSourceMtime(dir = root) {
  let newest = 0;
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) newest = Math.max(newest, mtime(join(dir, file)));
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, mtime(path));
    }
  };
  walk(join(dir, 'src'));
  return newest;
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Whether dist/ must be built again. */
export function isStale(dir = root) {
  const out = join(dir, 'dist', 'cli', 'main.js');
  return !existsSync(out) || statSync(out).mtimeMs < newestSourceMtime(dir);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const stale = isStale();
  if (process.argv.includes('--check')) {
    console.log(stale ? 'dist/ is stale' : 'dist/ is up to date');
    process.exit(stale ? 1 : 0);
  }
  if (!stale) {
    console.log(`bigbrotr: dist/ is newer than src/ (${OUTPUT.slice(root.length + 1)}); build skipped`);
    process.exit(0);
  }
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
