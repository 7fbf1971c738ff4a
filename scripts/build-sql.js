#!/usr/bin/env node
/**
 * Builds each deployment's init SQL from the single source in deployments/sql/.
 *
 * A source file is copied to deployments/<name>/postgres/init/ for every deployment, keeping only the blocks
 * meant for it: lines after `-- @bigbrotr` or `-- @lilbrotr` belong to that deployment until the next marker
 * or `-- @end`. Usage:
 *   node scripts/build-sql.js          write the files
 *   node scripts/build-sql.js --check  exit 1, listing every file that differs, is missing or is extra (CI)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'deployments', 'sql');
const deployments = ['bigbrotr', 'lilbrotr'];
const MARKER = /^-- @(bigbrotr|lilbrotr|end)\s*$/;

/** The text of a source file for one deployment. */
export function render(text, deployment) {
  const out = [
    `-- Generated from deployments/sql by scripts/build-sql.js for ${deployment}: edit the source, not this file.`,
  ];
  let owner = null;
  for (const line of text.split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      owner = m[1] === 'end' ? null : m[1];
      continue;
    }
    if (owner === null || owner === deployment) out.push(line);
  }
  return out.join('\n');
}

function expected() {
  const files = new Map();
  for (const name of readdirSync(sourceDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const text = readFileSync(join(sourceDir, name), 'utf8');
    for (const d of deployments) files.set(join('deployments', d, 'postgres', 'init', name), render(text, d));
  }
  return files;
}

function existing() {
  const files = [];
  for (const d of deployments) {
    const dir = join(root, 'deployments', d, 'postgres', 'init');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.sql')))
      files.push(join('deployments', d, 'postgres', 'init', f));
  }
  return files;
}

const want = expected();
if (process.argv.includes('--check')) {
  const problems = [];
  for (const [path, text] of want) {
    const full = join(root, path);
    if (!existsSync(full)) problems.push(`missing: ${path}`);
    else if (readFileSync(full, 'utf8') !== text) problems.push(`differs from its source: ${path}`);
  }
  for (const path of existing()) if (!want.has(path)) problems.push(`extra (no source): ${path}`);
  if (problems.length) {
    console.error(`SQL drift: run 'npm run sql:build'\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`SQL in sync: ${want.size} files`);
} else {
  for (const path of existing()) if (!want.has(path)) unlinkSync(join(root, path));
  for (const [path, text] of want) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  console.log(`wrote ${want.size} files`);
}
