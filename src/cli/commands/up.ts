/**
 * `bigbrotr up`: the whole pipeline in one process on one machine: the seeder once, then every built
 * continuous service on one shared database pool and metrics registry, until SIGINT/SIGTERM. With `--demo`,
 * against a relay farm started in the same process (demo.ts).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Registry } from 'prom-client';
import type { Db } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { startMetricsServer } from '../../core/metrics.js';
import { runService } from '../../core/runner.js';
import { SERVICE_NAMES, type ServiceName } from '../../models/service-state.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { demoConfig, seedDemoCandidates, startDemoFarm } from '../demo.js';
import { type DeploymentPaths, resolveDeployment, serviceConfigPath } from '../deployment.js';
import { EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandLogger } from '../logging.js';
import { keyVariables, preflight, servicePorts, uniquePorts } from '../preflight.js';
import { loadBrotrConfig, openDatabase } from '../runtime.js';
import { openServicePool } from '../service-db.js';
import { buildService, loadServiceConfig, type ServiceConfigs } from '../services.js';

const UP_OPTIONS = { ...COMMON_OPTIONS, demo: { type: 'boolean' } } as const;

/** Run `bigbrotr up` (or `up --demo`) until SIGINT/SIGTERM. */
export async function upCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('up', argv, UP_OPTIONS);
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const logger = commandLogger(io, values, 'up');
  // why: every service and every cycle listens to the stop signal; a dozen listeners is expected, not a leak
  setMaxListeners(100, io.stop);
  // every service, seeder first (see the README's status table)
  const names = SERVICE_NAMES;
  const loaded = await loadConfigs(deployment, io);
  const now = Math.floor(Date.now() / 1000);
  const configs = values.demo ? demoConfigs(loaded, now) : loaded;
  await upPreflight(deployment, io, configs);
  await using demo = values.demo ? await startDemoFarm({ logger }) : undefined;
  const env = withRunKey(io.env, configs, logger);
  await using open = await openDatabase(deployment, io, logger, { schema: 'verify', command: 'up' });
  // least privilege: each service on its own pool, as its deployment role (service-db.ts)
  await using pools = await openServicePools(open, configs, io, logger);
  const registry = new Registry();
  const ctx = { logger, registry, deployment, batchSize: open.brotr.batch.max_size, env };
  const build = async (name: ServiceName, once: boolean) => {
    const sql = pools.get(name).sql;
    const built = await buildService(name, configs[name], { ...ctx, sql }, { once, signal: io.stop });
    return await runService(built.service, built.runOpts);
  };
  // One process, one registry: the first service config with metrics enabled says where to serve it.
  const metricsAt = Object.values(configs).find((c) => c.metrics.enabled)?.metrics;
  await using _metrics = metricsAt ? await startMetricsServer({ registry, ...metricsAt }) : undefined;
  logger.info('up_ready', {
    deployment: deployment.name,
    database: open.db.target,
    embedded: Boolean(open.embedded),
    services: (demo ? names.filter((n) => n !== 'seeder') : names).join(','),
  });
  if (demo) {
    const inserted = await seedDemoCandidates(pools.get('validator').sql, demo.urls, now);
    logDemoReady(logger, { relays: demo.urls.length, inserted }, configs.api);
  }
  io.stop.addEventListener('abort', () => logger.info('up_stopping'), { once: true });
  // The demo seeds the farm itself, then validates once so the first monitor and synchronizer cycles see it.
  const primers: ServiceName[] = demo ? ['validator'] : ['seeder'];
  const primed: Record<string, number> = {};
  for (const name of primers) primed[name] = await build(name, true);
  const codes = await Promise.all(names.filter((n) => n !== 'seeder').map((n) => build(n, false)));
  logger.info('up_stopped', { ...primed, services: codes.join(',') });
  return codes.some((c) => c !== EXIT.ok) ? EXIT.failure : EXIT.ok;
}

/** Start-up checks before the demo farm, the embedded server or any service starts (preflight.ts). */
async function upPreflight(deployment: DeploymentPaths, io: CliIo, configs: ServiceConfigs): Promise<void> {
  const brotr = await loadBrotrConfig(deployment, io);
  // one metrics endpoint for the whole process: the first enabled one (as below)
  const metrics = Object.values(configs).find((c) => c.metrics.enabled);
  const ports = [...servicePorts('api', configs.api), ...(metrics ? servicePorts('metrics', metrics) : [])];
  await preflight({
    cwd: io.cwd,
    brotr,
    command: 'up',
    env: io.env,
    ports: uniquePorts(ports),
    keyVariables: keyVariables(Object.values(configs)),
  });
}

/** The config of every service, read in start order. */
async function loadConfigs(deployment: DeploymentPaths, io: CliIo): Promise<ServiceConfigs> {
  const load = <K extends ServiceName>(name: K) =>
    loadServiceConfig(name, serviceConfigPath(io.cwd, deployment, name), io.env);
  return {
    seeder: await load('seeder'),
    finder: await load('finder'),
    validator: await load('validator'),
    monitor: await load('monitor'),
    synchronizer: await load('synchronizer'),
    refresher: await load('refresher'),
    api: await load('api'),
    dvm: await load('dvm'),
  };
}

/** One pool per service, closed together. */
async function openServicePools(
  open: Parameters<typeof openServicePool>[0],
  configs: ServiceConfigs,
  io: CliIo,
  logger: Logger,
): Promise<AsyncDisposable & { get(name: ServiceName): Db }> {
  const pools = new Map<ServiceName, Db>();
  const close = async (): Promise<void> => {
    await Promise.all([...pools.values()].map((db) => db.close()));
  };
  try {
    for (const name of SERVICE_NAMES)
      pools.set(name, await openServicePool(open, name, configs[name].pool, io, logger));
  } catch (err) {
    await close();
    throw err;
  }
  const get = (name: ServiceName): Db => {
    const db = pools.get(name);
    if (!db) throw new Error(`no pool for ${name}`);
    return db;
  };
  return { get, [Symbol.asyncDispose]: close };
}

/** The loaded configs pointed at the demo farm, in memory only. */
function demoConfigs(loaded: ServiceConfigs, now: number): ServiceConfigs {
  const demo = <K extends ServiceName>(name: K) => demoConfig(name, loaded[name], now);
  return {
    seeder: demo('seeder'),
    finder: demo('finder'),
    validator: demo('validator'),
    monitor: demo('monitor'),
    synchronizer: demo('synchronizer'),
    refresher: demo('refresher'),
    api: demo('api'),
    dvm: demo('dvm'),
  };
}

function logDemoReady(logger: Logger, farm: { relays: number; inserted: number }, api: ServiceConfigs['api']): void {
  logger.info('demo_ready', {
    ...farm,
    dashboard: `http://127.0.0.1:${api.port}/`,
    hint: 'Ctrl-C stops the services and the farm; run it again to resume',
  });
}

/**
 * `up` is the newcomer's command: when the key a signing service (monitor, synchronizer) names is not set, it
 * signs with a key made for this run (RTT probes and NIP-42 answers; nothing is published unless publishing
 * relays are configured) and says how to keep one.
 */
function withRunKey(
  env: Readonly<Record<string, string | undefined>>,
  configs: ServiceConfigs,
  logger: Logger,
): Readonly<Record<string, string | undefined>> {
  const names = keyVariables(Object.values(configs)).filter((name) => !env[name]);
  if (names.length === 0) return env;
  const key = randomBytes(32).toString('hex');
  for (const name of new Set(names))
    logger.warn('signing_key_generated', { hint: `set ${name} to keep a lasting identity` });
  return { ...env, ...Object.fromEntries(names.map((n) => [n, key])) };
}
