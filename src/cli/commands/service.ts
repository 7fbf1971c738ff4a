/** `bigbrotr <service>`: validate the service's config, open the database and run the service loop. */
import { Registry } from 'prom-client';
import { startMetricsServer } from '../../core/metrics.js';
import { runService } from '../../core/runner.js';
import type { ServiceName } from '../../models/service-state.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment, serviceConfigPath } from '../deployment.js';
import type { CliIo } from '../io.js';
import { signerFromEnv } from '../keys.js';
import { commandLogger } from '../logging.js';
import { preflight, servicePorts } from '../preflight.js';
import { loadBrotrConfig, openDatabase } from '../runtime.js';
import { buildService, loadServiceConfig } from '../services.js';

const OPTIONS = { ...COMMON_OPTIONS, config: { type: 'string' }, once: { type: 'boolean' } } as const;

/** Run the named service with its command-line options. */
export async function runServiceCommand(name: ServiceName, argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(name, argv, OPTIONS);
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const brotr = await loadBrotrConfig(deployment, io);
  const path = serviceConfigPath(io.cwd, deployment, name, values.config);
  const config = await loadServiceConfig(name, path, io.env);
  // a service that signs refuses to start without its key, before anything is opened
  const keysEnv = 'keys' in config ? config.keys.keys_env : undefined;
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
    name,
    config,
    { sql: open.db.sql, logger, registry, deployment, batchSize: brotr.batch.max_size, env: io.env },
    { once: values.once === true, signal: io.stop },
  );
  await using _metrics = config.metrics.enabled ? await startMetricsServer({ registry, ...config.metrics }) : undefined;
  // `return await`: the database and metrics server must outlive the run (they are disposed on return)
  return await runService(built.service, built.runOpts);
}
