/** `bigbrotr <service>`: validate the service's config, open the database and run the service loop. */
import { Registry } from 'prom-client';
import { loadConfigFile } from '../../core/config/index.js';
import { startMetricsServer } from '../../core/metrics.js';
import { runService } from '../../core/runner.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment, serviceConfigPath } from '../deployment.js';
import type { ServiceCommand } from '../help.js';
import type { CliIo } from '../io.js';
import { signerFromEnv } from '../keys.js';
import { commandLogger } from '../logging.js';
import { preflight, servicePorts } from '../preflight.js';
import { SERVICE_SCHEMAS } from '../registry.js';
import { loadBrotrConfig, openDatabase } from '../runtime.js';
import { type BaseServiceConfig, buildService } from '../services.js';

const OPTIONS = { ...COMMON_OPTIONS, config: { type: 'string' }, once: { type: 'boolean' } } as const;

/** The parts of a service config the command reads. */
type RunnableConfig = BaseServiceConfig & {
  readonly pool?: Parameters<typeof openDatabase>[3]['pool'];
  readonly metrics: { enabled: boolean; host: string; port: number; path: string };
};

/** Run the named service with its command-line options. */
export async function runServiceCommand(name: string, argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(name, argv, OPTIONS);
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const brotr = await loadBrotrConfig(deployment, io);
  const schema = SERVICE_SCHEMAS[name as ServiceCommand];
  const path = serviceConfigPath(io.cwd, deployment, name, values.config);
  const config = (await loadConfigFile(path, schema, {
    env: io.env,
    missingAsEmpty: name === 'api',
  })) as RunnableConfig;
  // a service that signs refuses to start without its key, before anything is opened
  const keysEnv = (config as { keys?: { keys_env: string } }).keys?.keys_env;
  if (keysEnv) signerFromEnv(io.env, keysEnv);
  const logger = commandLogger(io, values, name);
  await preflight({
    cwd: io.cwd,
    brotr,
    command: name,
    env: io.env,
    ports: servicePorts(name, config),
    keyVariables: keysEnv ? [keysEnv] : [],
  });
  const registry = new Registry();
  await using open = await openDatabase(deployment, io, logger, { service: name, pool: config.pool, schema: 'verify' });
  const built = await buildService(
    name as ServiceCommand,
    config,
    { sql: open.db.sql, logger, registry, deployment, batchSize: brotr.batch.max_size, env: io.env },
    { once: values.once === true, signal: io.stop },
  );
  await using _metrics = config.metrics.enabled ? await startMetricsServer({ registry, ...config.metrics }) : undefined;
  // `return await`: the database and metrics server must outlive the run (they are disposed on return)
  return await runService(built.service, built.runOpts);
}
