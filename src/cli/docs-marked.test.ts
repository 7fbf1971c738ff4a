/**
 * Every shell example in docs/ is run by a test (DOC_RUNNERS) or marked `<!-- not run by the tests: <reason> -->`
 * for a reason this file knows; a block that is neither fails here. For the marked blocks, what can be checked
 * without running them is: the Docker ones against the shipped Compose stack as `docker-compose config` resolves
 * it (every service they name exists, every host port they reach is published, `psql` logs in as the stack's
 * database user, the SQL they run and the bigbrotr commands they start in a container run here for real), the
 * test-suite one by listing what its filter selects.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { useTestDatabase } from '../testing/vitest/db.js';
import { commandLines, DOC_RUNNERS, type DocBlock, docBlocks, docFiles, REPO } from '../testing/vitest/doc-blocks.js';

const DOCKER = 'needs a Docker engine';
const INSTALL = 'it installs the dependencies the tests run on';
const KNOWN = [DOCKER, INSTALL, 'it runs the tests', 'needs nak and a public relay'];
const STACK = join(REPO, 'deployments/bigbrotr');
const db = useTestDatabase('bigbrotr');

const all = docFiles().flatMap((doc) => docBlocks(doc));
const marked = (reason: string): DocBlock[] => all.filter((b) => b.notRun?.startsWith(reason));
const dockerLines = marked(DOCKER).flatMap((b) =>
  commandLines(b.text).map((line) => ({ line, at: `${b.doc}:${b.line}` })),
);

/** The environment without this process's database and vitest settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('DB_') || key.startsWith('VITEST')) delete env[key];
  return { ...env, ...extra };
}

/** The shipped stack as the Compose client resolves it with the example environment. */
function resolvedStack(): { services: Record<string, { ports?: unknown[]; environment?: Record<string, string> }> } {
  const r = spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yaml', 'config'], {
    cwd: STACK,
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    throw new Error(`docker-compose config did not run (.ci/run installs the client): ${r.error ?? r.stderr}`);
  }
  return parseYaml(r.stdout);
}

/** The services a `docker compose <sub> …` line names (options and their values skipped). */
function namedServices(line: string): string[] {
  const words = line.split(/\s+#/)[0]?.trim().split(/\s+/) ?? [];
  const names: string[] = [];
  for (let i = words.indexOf('compose'); i >= 0 && i < words.length; i = words.indexOf('compose', i + 1)) {
    const sub = words[i + 1];
    const rest = words.slice(i + 2);
    const cut = rest.findIndex((w) => w === '&&' || w === '|' || w === '>');
    const args = cut < 0 ? rest : rest.slice(0, cut);
    if (sub === 'exec' || sub === 'run') {
      const service = args.find((w) => !w.startsWith('-'));
      if (service) names.push(service);
    } else if (sub === 'cp') {
      names.push(...args.flatMap((w) => (/^[a-z-]+:\//.test(w) ? [w.split(':')[0] as string] : [])));
    } else if (sub && ['logs', 'restart', 'stop', 'start', 'up'].includes(sub)) {
      for (let j = 0; j < args.length; j += 1) {
        const w = args[j] as string;
        if (w === '--since' || w === '--tail' || w === '--scale') {
          j += 1; // the option's value; `--scale <service>=<n>` names a service
          if (w === '--scale') names.push((args[j] ?? '').split('=')[0] as string);
        } else if (!w.startsWith('-')) names.push(w);
      }
    }
  }
  return names;
}

describe('the shell examples of docs/', () => {
  it('each is run by its document test, or marked with a known reason', () => {
    const shells = all.filter((b) => ['sh', 'bash', 'shell', 'console', 'zsh'].includes(b.lang));
    expect(shells.filter((b) => b.lang !== 'sh').map((b) => `${b.doc}:${b.line}`)).toEqual([]);
    expect(shells.length).toBeGreaterThan(15);
    const unrun = shells.filter((b) => b.notRun === undefined && DOC_RUNNERS[b.doc] === undefined);
    expect(unrun.map((b) => `${b.doc}:${b.line} is neither run nor marked`)).toEqual([]);
    const unknown = shells.filter((b) => b.notRun !== undefined && !KNOWN.some((k) => b.notRun?.startsWith(k)));
    expect(unknown.map((b) => `${b.doc}:${b.line}: ${b.notRun}`)).toEqual([]);
    for (const runner of new Set(Object.values(DOC_RUNNERS))) expect(existsSync(join(REPO, runner)), runner).toBe(true);
    // the marker is not hiding a block that could run: a Docker block uses docker
    for (const b of marked(DOCKER)) expect(b.text, `${b.doc}:${b.line}`).toMatch(/\bdocker compose\b/);
    expect(marked(DOCKER).length).toBe(7);
  });

  it('the Docker ones name services, ports and a database user the shipped stack has', () => {
    const stack = resolvedStack();
    const services = Object.keys(stack.services);
    const named = dockerLines.flatMap(({ line, at }) => namedServices(line).map((s) => `${at} ${s}`));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((n) => !services.includes(n.split(' ')[1] as string))).toEqual([]);
    const published = Object.values(stack.services).flatMap((s) =>
      (s.ports ?? []).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))),
    );
    for (const { line, at } of dockerLines) {
      for (const m of line.matchAll(/127\.0\.0\.1:(\d+)/g))
        expect(
          published.some((p) => p.includes(`127.0.0.1:${m[1]}:`)),
          `${at} port ${m[1]}`,
        ).toBe(true);
      const psql = /exec (?:-T )?postgres (?:psql|pg_dump|pg_restore|pg_basebackup) .*-U (\S+)(?: -d (\S+))?/.exec(
        line,
      );
      if (psql) {
        const env = stack.services.postgres?.environment ?? {};
        expect(psql[1], at).toBe(env.POSTGRES_USER);
        if (psql[2]) expect(psql[2], at).toBe(env.POSTGRES_DB);
      }
    }
    // the files they use are there
    const install = marked(DOCKER).find((b) => b.text.includes('cp .env.example .env'));
    expect(install?.text).toContain('cd bigbrotr/deployments/bigbrotr');
    expect(existsSync(join(STACK, '.env.example'))).toBe(true);
    expect(readFileSync(join(STACK, 'docker-compose.yaml'), 'utf8')).toContain('dockerfile: deployments/Dockerfile');
    expect(existsSync(join(REPO, 'deployments/Dockerfile'))).toBe(true);
  });

  it('the SQL and the bigbrotr commands they run inside the stack run here', async () => {
    const sql = dockerLines.flatMap(({ line }) =>
      [...line.matchAll(/psql .*-c "([^"]+)"/g)].map((m) => m[1] as string),
    );
    expect(sql).toEqual(['SELECT all_statistics_refresh()']);
    for (const statement of sql) await db.sql.unsafe(statement);
    // `docker compose run … <service> <command>`: the image runs `node bin/bigbrotr.js <command>`
    const runs = dockerLines.flatMap(({ line }) => {
      const m = /compose run (?:--\S+ )*[a-z-]+ (.+?)(?:\s+#.*)?$/.exec(line);
      return m ? [m[1] as string] : [];
    });
    expect(runs).toEqual(['config check --deployment deployments/bigbrotr']);
    const env = Object.fromEntries(
      readFileSync(join(STACK, '.env.example'), 'utf8')
        .split('\n')
        .flatMap((l) => (/^[A-Z_]+=/.test(l) ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]] : [])),
    );
    for (const args of runs) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/testing/cli-entry.ts', ...args.split(' ')], {
        cwd: REPO,
        env: cleanEnv(env),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `${args}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
  }, 90_000);

  it('the test-suite one selects the interop files', () => {
    const [block, ...more] = marked('it runs the tests');
    expect(more).toEqual([]);
    const line = commandLines(block?.text ?? '').find((l) => l.includes('npx vitest run'));
    const filter = /npx vitest run (\S+)/.exec(line ?? '')?.[1];
    expect(filter).toBe('strfry.test');
    const r = spawnSync('npx', ['vitest', 'list', '--filesOnly', filter as string], {
      cwd: REPO,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const listed = r.stdout.trim().split('\n').sort();
    const interop = (dir: string): string[] =>
      readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.strfry.test.ts'))
        .map((f) => relative(REPO, join(REPO, dir, f)));
    expect(listed).toEqual(interop('src').sort());
    expect(listed.length).toBeGreaterThanOrEqual(5);
  }, 150_000);

  it('the install ones: npm ci installs from the lock file of this package', () => {
    expect(marked(INSTALL).map((b) => b.text.trim())).toEqual(['npm ci', 'npm ci']);
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { name: string };
    expect(lock.name).toBe('bigbrotr');
  });
});
