// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/** What the deployment checks (deployments/*.test.ts) share: the two deployment folders, their Compose files and ports. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PACKAGE_ROOT } from '../../cli/deployment.js';
import { SERVICE_NAMES } from '../../models/service-state.js';

export type Json = Record<string, unknown>;
export type Env = Record<string, string>;

export const root = PACKAGE_ROOT;
export const DEPLOYMENTS = ['bigbrotr', 'lilbrotr'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];
export const dirOf = (d: Deployment) => join(root, 'deployments', d);
export const read = (...parts: string[]) => readFileSync(join(...parts), 'utf8');

/** The published host ports, per service (container port in the key where a service publishes two). */
export const HOST_PORTS: Record<Deployment, Record<string, number>> = {
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
export const CONTINUOUS = SERVICE_NAMES.filter((s) => s !== 'seeder');

export function filesUnder(dir: string, filter: (path: string) => boolean = () => true): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter(filter)
    .sort();
}

// ---- Compose model ------------------------------------------------------------------------------------

export interface ComposeService {
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
export interface Compose {
  services: Record<string, ComposeService>;
}

export function loadCompose(d: Deployment): Compose {
  return parseYaml(read(dirOf(d), 'docker-compose.yaml'), { merge: true }) as Compose;
}

/** KEY=VALUE lines of a deployment's .env.example. */
export function envExample(d: Deployment): Env {
  const env: Env = {};
  for (const line of read(dirOf(d), '.env.example').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message}, $$. Unset required variables throw. */
export function composeInterpolate(value: string, env: Env): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const v = env[name as string];
    if (v !== undefined && v !== '') return v;
    if (op === ':?') throw new Error(`${name}: ${arg}`);
    return op === ':-' ? (arg as string) : '';
  });
}

/** The environment a service's container gets, as Compose computes it from `.env`. */
export function serviceEnv(svc: ComposeService, env: Env): Env {
  return Object.fromEntries(
    Object.entries(svc.environment ?? {}).map(([k, v]) => [k, composeInterpolate(String(v), env)]),
  );
}

/** Published ports of a service as [host, container]. */
export function publishedPorts(svc: ComposeService): Array<[number, number]> {
  return (svc.ports ?? []).map((p) => {
    const m = /(\d+):(\d+)(?:\/tcp)?$/.exec(p);
    if (!m) throw new Error(`unparsed port mapping ${p}`);
    return [Number(m[1]), Number(m[2])];
  });
}

// ---- Compose client --------------------------------------------------------------------------------

export function findComposeClient(): { cmd: string[]; version: string } | undefined {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const r = spawnSync(bin, [...args, 'version'], { encoding: 'utf8' });
    if (r.status === 0) return { cmd, version: r.stdout.trim().split('\n')[0] ?? '' };
  }
  return undefined;
}

export function runCompose(client: { cmd: string[] }, d: Deployment, envFile: string) {
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

export const composeClient = findComposeClient();
