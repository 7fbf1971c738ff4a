/**
 * `bigbrotr up`: the whole pipeline in one process on one machine: the seeder once, then every built
 * continuous service on one shared database pool and metrics registry, until SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { loadConfigFile } from '../../core/config/index.js';
import type { Logger } from '../../core/logger.js';
import { startMetricsServer } from '../../core/metrics.js';
import { runService } from '../../core/runner.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment, serviceConfigPath } from '../deployment.js';
import { EXIT } from '../errors.js';
import { SERVICE_NAMES, type ServiceCommand } from '../help.js';
import type { CliIo } from '../io.js';
import { commandLogger } from '../logging.js';
import { SERVICE_SCHEMAS } from '../registry.js';
import { openDatabase } from '../runtime.js';
import { type BaseServiceConfig, buildService, SERVICE_FACTORIES } from '../services.js';

type UpConfig = BaseServiceConfig & {
  readonly metrics: { enabled: boolean; host: string; port: number; path: string };
};

/** Run `bigbrotr up` until SIGINT/SIGTERM. */
export async function upCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('up', argv, COMMON_OPTIONS);
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const logger = commandLogger(io, values, 'up');
  // every built service, seeder first (see the README's status table)
  const names = SERVICE_NAMES.filter((n) => SERVICE_FACTORIES[n]);
  const configs = new Map<ServiceCommand, UpConfig>();
  for (const name of names) {
    const path = serviceConfigPath(io.cwd, deployment, name);
    configs.set(name, (await loadConfigFile(path, SERVICE_SCHEMAS[name], { env: io.env })) as UpConfig);
  }
  const env = withRunKey(io.env, configs, logger);
  await using open = await openDatabase(deployment, io, logger, { schema: 'verify' });
  const registry = new Registry();
  const ctx = { sql: open.db.sql, logger, registry, deployment, batchSize: open.brotr.batch.max_size, env };
  const build = async (name: ServiceCommand, once: boolean) => {
    const built = await buildService(name, configs.get(name) as UpConfig, ctx, { once, signal: io.stop });
    if (!built) throw new Error(`no factory for ${name}`);
    return runService(built.service, built.runOpts);
  };
  // One process, one registry: the first service config with metrics enabled says where to serve it.
  const metricsAt = [...configs.values()].find((c) => c.metrics.enabled)?.metrics;
  await using _metrics = metricsAt ? await startMetricsServer({ registry, ...metricsAt }) : undefined;
  logger.info('up_ready', {
    deployment: deployment.name,
    database: open.db.target,
    embedded: Boolean(open.embedded),
    services: names.join(','),
  });
  io.stop.addEventListener('abort', () => logger.info('up_stopping'), { once: true });
  const seeded = configs.has('seeder') ? await build('seeder', true) : EXIT.ok;
  const codes = await Promise.all(names.filter((n) => n !== 'seeder').map((n) => build(n, false)));
  logger.info('up_stopped', { seeder: seeded, services: codes.join(',') });
  return codes.some((c) => c !== EXIT.ok) ? EXIT.failure : EXIT.ok;
}

/**
 * `up` is the newcomer's command: when the key a signing service (monitor, synchronizer) names is not set, it
 * signs with a key made for this run (RTT probes and NIP-42 answers; nothing is published unless publishing
 * relays are configured) and says how to keep one.
 */
function withRunKey(
  env: Readonly<Record<string, string | undefined>>,
  configs: ReadonlyMap<string, unknown>,
  logger: Logger,
): Readonly<Record<string, string | undefined>> {
  const names = [...configs.values()].flatMap((c) => {
    const name = (c as { keys?: { keys_env?: string } }).keys?.keys_env;
    return name && !env[name] ? [name] : [];
  });
  if (names.length === 0) return env;
  const key = randomBytes(32).toString('hex');
  for (const name of new Set(names))
    logger.warn('signing_key_generated', { hint: `set ${name} to keep a lasting identity` });
  return { ...env, ...Object.fromEntries(names.map((n) => [n, key])) };
}
