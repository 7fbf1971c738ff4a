/**
 * The one registry of the services the CLI runs: for each name, its config schema and its factory (what the
 * factory needs from the CLI: the database, a logger, metrics, files of the deployment). The names come from
 * SERVICE_NAMES (models/service-state.ts); the mapped type below makes the registry cover each exactly once
 * and keeps every factory's config typed by its own schema.
 */
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { type Env, loadConfigFile } from '../core/config/index.js';
import { recordLastCycle } from '../core/db/cycles.js';
import type { Logger } from '../core/logger.js';
import { createServiceMetrics } from '../core/metrics.js';
import type { CycleRecord, RunOpts, Service } from '../core/runner.js';
import type { ServiceDeps } from '../core/service-deps.js';
import type { ServiceName } from '../models/service-state.js';
import { createApi } from '../services/api/api.js';
import { type ApiConfig, apiConfigSchema } from '../services/api/config.js';
import { dashboardRoutes, dashboardTitle } from '../services/api/dashboard/dashboard.js';
import { insightRoutes } from '../services/api/insights/insights.js';
import { insightOpenApiPaths } from '../services/api/insights/openapi.js';
import { type DvmConfig, dvmConfigSchema } from '../services/dvm/config.js';
import { createDvm } from '../services/dvm/dvm.js';
import { type FinderConfig, finderConfigSchema } from '../services/finder/config.js';
import { createFinder } from '../services/finder/finder.js';
import { type MonitorConfig, monitorConfigSchema } from '../services/monitor/config.js';
import { createMonitor } from '../services/monitor/monitor.js';
import { type RefresherConfig, refresherConfigSchema } from '../services/refresher/config.js';
import { createRefresher } from '../services/refresher/refresher.js';
import { type SeederConfig, seederConfigSchema } from '../services/seeder/config.js';
import { createSeeder } from '../services/seeder/seeder.js';
import { type SynchronizerConfig, synchronizerConfigSchema } from '../services/synchronizer/config.js';
import { createSynchronizer } from '../services/synchronizer/synchronizer.js';
import { type ValidatorConfig, validatorConfigSchema } from '../services/validator/config.js';
import { createValidator } from '../services/validator/validator.js';
import { createVerifierPool } from '../utils/verifier/pool.js';
import type { DeploymentPaths } from './deployment.js';
import { signerFromEnv } from './keys.js';
import { openGeoDatabases, readOptional, readPriorityRelays } from './service-inputs.js';

/** The validated config of each service. */
export interface ServiceConfigs {
  readonly seeder: SeederConfig;
  readonly finder: FinderConfig;
  readonly validator: ValidatorConfig;
  readonly monitor: MonitorConfig;
  readonly synchronizer: SynchronizerConfig;
  readonly refresher: RefresherConfig;
  readonly api: ApiConfig;
  readonly dvm: DvmConfig;
}

/** What a factory gets besides its config. */
export interface FactoryContext {
  readonly deps: ServiceDeps;
  readonly deployment: DeploymentPaths;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One service of the registry. */
export interface ServiceEntry<C> {
  readonly schema: z.ZodType<C>;
  readonly create: (ctx: FactoryContext, config: C) => Service | Promise<Service>;
}

/** Every service, by name. */
export const SERVICES: { readonly [K in ServiceName]: ServiceEntry<ServiceConfigs[K]> } = {
  seeder: {
    schema: seederConfigSchema,
    create: (ctx, config) =>
      createSeeder(
        { ...ctx.deps, readSeedFile: () => readOptional(resolve(ctx.deployment.dir, config.seed.file_path)) },
        config,
      ),
  },
  finder: { schema: finderConfigSchema, create: (ctx, config) => createFinder(ctx.deps, config) },
  validator: { schema: validatorConfigSchema, create: (ctx, config) => createValidator(ctx.deps, config) },
  monitor: {
    schema: monitorConfigSchema,
    create: async (ctx, config) => {
      const signer = signerFromEnv(ctx.env, config.keys.keys_env);
      if (config.skipped_checks.length > 0) {
        ctx.deps.logger.info('checks_skipped', {
          checks: config.skipped_checks.join(','),
          reason: 'the clearnet network is disabled: these checks need a public host name',
        });
      }
      const geo = config.skipped_checks.includes('nip66_geo')
        ? {}
        : await openGeoDatabases(ctx.deployment.dir, config.geo, ctx.deps.logger);
      return createMonitor({ ...ctx.deps, signer, geo }, config);
    },
  },
  synchronizer: {
    schema: synchronizerConfigSchema,
    create: async (ctx, config) => {
      const file = config.processing.priority_relays_file;
      const priorityRelays = await readPriorityRelays(ctx.deployment.dir, file, ctx.deps.logger);
      // the verifier threads end with the service, each after the batch in hand: a thread ended by the
      // process's exit while inside bcrypto's native code would abort the process
      const pool = createVerifierPool();
      const service = createSynchronizer(
        { ...ctx.deps, pool, signer: signerFromEnv(ctx.env, config.keys.keys_env), priorityRelays },
        config,
      );
      return { ...service, close: () => pool.close() };
    },
  },
  refresher: { schema: refresherConfigSchema, create: (ctx, config) => createRefresher(ctx.deps, config) },
  // the generic table API, the purpose-built endpoints under the prefix and the dashboard at /
  api: {
    schema: apiConfigSchema,
    create: (ctx, config) =>
      createApi(ctx.deps, config, {
        openapiPaths: insightOpenApiPaths(config.route_prefix),
        mount: (app) => {
          const page = { maxPageSize: config.max_page_size, defaultPageSize: config.default_page_size };
          app.route(config.route_prefix || '/', insightRoutes(ctx.deps, { ...page, tables: config.tables }));
          app.route('/', dashboardRoutes({ apiPrefix: config.route_prefix, title: dashboardTitle(config.title) }));
        },
      }),
  },
  dvm: {
    schema: dvmConfigSchema,
    create: (ctx, config) => createDvm({ ...ctx.deps, signer: signerFromEnv(ctx.env, config.keys.keys_env) }, config),
  },
};

/** Load and validate a service's config file (a missing api.yaml is every default: loopback, no table). */
export function loadServiceConfig<K extends ServiceName>(name: K, path: string, env: Env): Promise<ServiceConfigs[K]> {
  const schema: z.ZodType<ServiceConfigs[K]> = SERVICES[name].schema;
  return loadConfigFile(path, schema, { env, missingAsEmpty: name === 'api' });
}

/** Build a service and its run options. */
export async function buildService<K extends ServiceName>(
  name: K,
  config: ServiceConfigs[K],
  ctx: {
    sql: ServiceDeps['sql'];
    logger: Logger;
    registry: Registry;
    deployment: DeploymentPaths;
    batchSize: number;
    env: Readonly<Record<string, string | undefined>>;
  },
  run: { once: boolean; signal: AbortSignal },
): Promise<{ service: Service; runOpts: RunOpts }> {
  const entry: ServiceEntry<ServiceConfigs[K]> = SERVICES[name];
  const logger = ctx.logger.child({ service: name });
  const metrics = createServiceMetrics(ctx.registry, name);
  const deps: ServiceDeps = { sql: ctx.sql, logger, metrics, batchSize: ctx.batchSize };
  const service = await entry.create({ deps, deployment: ctx.deployment, env: ctx.env }, config);
  const runOpts: RunOpts = {
    intervalSec: config.interval,
    maxConsecutiveFailures: config.max_consecutive_failures,
    once: run.once,
    signal: run.signal,
    graceMs: config.shutdown_grace * 1000,
    logger,
    metrics,
    // the API's role writes nothing (least privilege); its cycle is the server's lifetime anyway
    ...(name === 'api' ? {} : { recordCycle: (record: CycleRecord) => recordLastCycle(ctx.sql, name, record) }),
  };
  return { service, runOpts };
}
