// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * Each deployment's Compose stack without a Docker engine: services, pinned images, mounts, start order, ports,
 * secrets from .env, each service's config validated as the CLI loads it with the environment Compose gives it,
 * PgBouncer and Prometheus wiring, and `docker compose config` where a compose client exists.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SERVICE_ROLES } from '../src/cli/service-db.js';
import { SERVICES } from '../src/cli/services.js';
import { brotrConfigSchema, mergePoolConfig, parseConfigText } from '../src/core/config/index.js';
import { SERVICE_NAMES } from '../src/models/service-state.js';
import { artifactDirSync } from '../src/testing/artifacts.js';
import {
  CONTINUOUS,
  type ComposeService,
  composeClient,
  DEPLOYMENTS,
  dirOf,
  envExample,
  HOST_PORTS,
  type Json,
  loadCompose,
  publishedPorts,
  read,
  root,
  runCompose,
  serviceEnv,
} from '../src/testing/vitest/deployments.js';

describe.each(DEPLOYMENTS)('%s: Compose stack', (d) => {
  const compose = loadCompose(d);
  const services = compose.services;
  const env = envExample(d);

  it('has the services of the stack, every image pinned to an exact version', () => {
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

  it('publishes the documented host ports, metrics on 8000 inside', () => {
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
      expect(conn.user, name).toBe(SERVICE_ROLES[name as (typeof SERVICE_NAMES)[number]]);
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
    const dir = artifactDirSync('compose-env-');
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
