/**
 * The shell examples of docs/operations.md and docs/deployment.md that need no Docker engine, read from the
 * markdown and run as written with the shipped deployment config (deployments/), through bash and the CLI in
 * real processes (`npx bigbrotr` runs this checkout's CLI, doc-blocks.ts): `up` on the embedded database until
 * it is ready, then Ctrl-C; `db init/verify/audit` and `import`/`export` on a PostgreSQL server. Only the doc's
 * example host and password are replaced by the test server's. A doc example that stops working fails here.
 */
import { spawn } from 'node:child_process';
import { chmod, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { insertEventRelaysCascade } from '../core/db/store.js';
import { freePort } from '../core/embedded.js';
import type { NostrEvent } from '../models/event.js';
import type { RelayUrl } from '../models/relay.js';
import { artifactDir } from '../testing/artifacts.js';
import { generateEvents } from '../testing/events.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { cliPrelude, commandLines, type DocBlock, REPO, runnableBlocks } from '../testing/vitest/doc-blocks.js';

const db = useTestDatabase('bigbrotr');
const NOW = Math.floor(Date.now() / 1000);

/** A working folder as an operator's checkout: the shipped deployments/ beside whatever the examples write. */
async function workDir(name: string): Promise<string> {
  const dir = await artifactDir(`bb-docs-${name}-`);
  // a checkout is readable by all (mkdtemp's 0700 would keep the server's OS user out of ./data)
  await chmod(dir, 0o755);
  await symlink(join(REPO, 'deployments'), join(dir, 'deployments'));
  return dir;
}

/** This process's environment without database settings (the examples set their own), plus `extra`. */
function operatorEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('DB_') || key.startsWith('VITEST')) delete env[key];
  return { ...env, ...extra };
}

/** The test server's address as the settings of docs/operations.md's table, beside the example's DB_HOST. */
function serverSettings(): { host: string; password: string; env: Record<string, string> } {
  const u = new URL(db.url);
  return {
    host: u.hostname,
    password: decodeURIComponent(u.password), // empty on a trust-auth server; the embedded test server has one
    env: { DB_PORT: u.port || '5432', DB_NAME: u.pathname.slice(1), DB_USER: decodeURIComponent(u.username) },
  };
}

/** A value as one shell word. */
const shellWord = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

type Ran = { line: string; code: number | null; out: string; err: string };

/** Run `script` in bash; `ready` (a pattern on stderr) makes it a long-running command stopped by Ctrl-C. */
async function bash(script: string, cwd: string, env: NodeJS.ProcessEnv, ready?: RegExp) {
  const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (ready) {
    const started = Date.now();
    while (!ready.test(err) && child.exitCode === null && Date.now() - started < 120_000) await sleep(100);
    if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGINT'); // a terminal's Ctrl-C
  }
  return { code: await exited, out, err };
}

/** Each command line of `block` in its own bash (after the block's `export` lines), with `replace` applied. */
async function runBlock(
  block: DocBlock,
  cwd: string,
  env: NodeJS.ProcessEnv,
  replace: [string, string][] = [],
): Promise<Ran[]> {
  const exports: string[] = [];
  const ran: Ran[] = [];
  for (const raw of commandLines(block.text)) {
    const line = replace.reduce((l, [from, to]) => l.replaceAll(from, to), raw);
    if (line.startsWith('export ')) {
      exports.push(line);
      continue;
    }
    const long = /npx bigbrotr up\b/.test(line) ? /up_ready/ : undefined;
    const r = await bash([cliPrelude(), 'set -euo pipefail', ...exports, line].join('\n'), cwd, env, long);
    ran.push({ line, ...r });
  }
  return ran;
}

const blocks = [...runnableBlocks('operations.md'), ...runnableBlocks('deployment.md')];
const find = (doc: string, text: string): DocBlock => {
  const found = blocks.filter((b) => b.doc === doc && b.text.includes(text));
  expect(found, `${doc}: ${text}`).toHaveLength(1);
  return found[0] as DocBlock;
};

describe('the shell examples of docs/operations.md and docs/deployment.md', () => {
  it('are the blocks run below: every other one is marked as needing Docker or installing', () => {
    expect(blocks.map((b) => `${b.doc}:${b.text.split('\n')[0]?.split(/\s+#/)[0]?.trim()}`)).toEqual([
      'operations.md:npx bigbrotr up',
      'operations.md:export DB_EMBEDDED=false DB_HOST=db.example.org DB_ADMIN_PASSWORD=…',
      'operations.md:npx bigbrotr import dump.jsonl.gz --relay wss://relay.example.com',
      'deployment.md:npx bigbrotr up',
    ]);
  });

  it('up: the embedded PostgreSQL and every service start, and Ctrl-C stops them (both deployments)', async () => {
    const lines = [find('operations.md', 'npx bigbrotr up'), find('deployment.md', 'npx bigbrotr up')];
    for (const block of lines) {
      const cwd = await workDir('up');
      const env = operatorEnv({ API_PORT: String(await freePort()), METRICS_PORT: String(await freePort()) });
      for (const r of await runBlock(block, cwd, env)) {
        expect(r.err, r.line).toContain('up_ready');
        expect(r.err, r.line).toContain('embedded=true');
        expect(r.err, r.line).toContain('up_stopped');
        expect(r.code, `${r.line}\n${r.err.slice(-3000)}`).toBe(0);
        const name = r.line.includes('lilbrotr') ? 'lilbrotr' : 'bigbrotr';
        expect(r.err).toContain(`/data/${name}/pg`);
      }
    }
  }, 400_000);

  it('db init, verify and audit on a server named by the environment', async () => {
    const events = generateEvents(20, { seed: 31, kinds: [1, 7], createdAt: (i) => NOW - i * 60 }) as NostrEvent[];
    const relay = { url: 'wss://relay.damus.io' as RelayUrl, network: 'clearnet' as const, discoveredAt: NOW };
    await insertEventRelaysCascade(
      db.sql,
      events.map((event) => ({ event, relay, seenAt: NOW })),
    );
    const { host, password, env } = serverSettings();
    const ran = await runBlock(find('operations.md', 'db init'), await workDir('db'), operatorEnv(env), [
      ['DB_HOST=db.example.org', `DB_HOST=${host}`],
      ['DB_ADMIN_PASSWORD=…', `DB_ADMIN_PASSWORD=${shellWord(password)}`],
    ]);
    expect(ran.map((r) => r.line.replace(/\s+#.*/, ''))).toEqual([
      'npx bigbrotr db init',
      'npx bigbrotr db verify',
      'npx bigbrotr db audit',
      'npx bigbrotr db audit --sample 10000',
    ]);
    for (const r of ran) expect(r.code, `${r.line}\n${r.err}\n${r.out}`).toBe(0);
    const [, verify, audit, sample] = ran as [Ran, Ran, Ran, Ran];
    expect(verify.out).toMatch(/database .* is complete \(bigbrotr\)/);
    expect(audit.out).toMatch(/^audited 20 events \(every stored event\) in \d+\.\ds: 0 do not verify$/m);
    expect(sample.out).toMatch(
      /^audited \d+ events \(a random sample of 10000 probes\) in \d+\.\ds: 0 do not verify$/m,
    );
  }, 120_000);

  it('import a gzip dump with its relay, then export notes and reactions since a date', async () => {
    const cwd = await workDir('import');
    const events = generateEvents(30, { seed: 32, kinds: [0, 1, 3, 7], createdAt: (i) => NOW - i * 60 });
    await writeFile(join(cwd, 'dump.jsonl.gz'), gzipSync(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`));
    const { host, password, env } = serverSettings();
    const ran = await runBlock(
      find('operations.md', 'npx bigbrotr import'),
      cwd,
      operatorEnv({ ...env, DB_EMBEDDED: 'false', DB_HOST: host, DB_ADMIN_PASSWORD: password }),
    );
    for (const r of ran) expect(r.code, `${r.line}\n${r.err}\n${r.out}`).toBe(0);
    expect(ran[0]?.out).toContain(`read=30 inserted=30 duplicates=0 invalid=0`);
    const [stored] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_relay
      WHERE relay_url = 'wss://relay.example.com'`;
    expect(stored?.n).toBe(30);
    const exported = (await readFile(join(cwd, 'notes.jsonl'), 'utf8')).trim().split('\n');
    const [want] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event
      WHERE kind IN (1, 7) AND created_at >= 1700000000`;
    expect(exported.length).toBe(want?.n);
    expect(exported.length).toBeGreaterThan(0);
    const parsed = exported.map((l) => JSON.parse(l) as NostrEvent);
    expect(parsed.every((e) => (e.kind === 1 || e.kind === 7) && e.created_at >= 1_700_000_000)).toBe(true);
  }, 120_000);
});
