/**
 * The composition of each built service: what its factory needs from the CLI (the database, a logger, metrics,
 * files of the deployment) and the run options from its configuration.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { recordLastCycle } from '../core/db/cycles.js';
import type { Logger } from '../core/logger.js';
import { createServiceMetrics } from '../core/metrics.js';
import type { CycleRecord, RunOpts, Service } from '../core/runner.js';
import type { ServiceDeps } from '../core/service-deps.js';
import { createApi } from '../services/api/api.js';
import type { ApiConfig } from '../services/api/config.js';
import { dashboardRoutes, dashboardTitle } from '../services/api/dashboard/dashboard.js';
import { insightRoutes } from '../services/api/insights/insights.js';
import { insightOpenApiPaths } from '../services/api/insights/openapi.js';
import type { DvmConfig } from '../services/dvm/config.js';
import { createDvm } from '../services/dvm/dvm.js';
import type { FinderConfig } from '../services/finder/config.js';
import { createFinder } from '../services/finder/finder.js';
import type { MonitorConfig } from '../services/monitor/config.js';
import { createMonitor } from '../services/monitor/monitor.js';
import type { RefresherConfig } from '../services/refresher/config.js';
import { createRefresher } from '../services/refresher/refresher.js';
import type { SeederConfig } from '../services/seeder/config.js';
import { createSeeder } from '../services/seeder/seeder.js';
import type { SynchronizerConfig } from '../services/synchronizer/config.js';
import { createSynchronizer } from '../services/synchronizer/synchronizer.js';
import type { ValidatorConfig } from '../services/validator/config.js';
import { createValidator } from '../services/validator/validator.js';
import { type GeoReaders, openGeoReaders } from '../utils/geoip.js';
import { openDefaultCityReader } from '../utils/geoip-default.js';
import { refreshGeoDatabase } from '../utils/geoip-download.js';
import { createVerifierPool } from '../utils/verifier/pool.js';
import type { DeploymentPaths } from './deployment.js';
import type { ServiceCommand } from './help.js';
import { signerFromEnv } from './keys.js';

/** What a factory gets besides its config. */
export interface FactoryContext {
  readonly deps: ServiceDeps;
  readonly deployment: DeploymentPaths;
  readonly env: Readonly<Record<string, string | undefined>>;
}

type Factory = (ctx: FactoryContext, config: never) => Service | Promise<Service>;

/** Every service, by name. */
export const SERVICE_FACTORIES: Record<ServiceCommand, Factory> = {
  seeder: (ctx, config: SeederConfig) =>
    createSeeder(
      { ...ctx.deps, readSeedFile: () => readOptional(resolve(ctx.deployment.dir, config.seed.file_path)) },
      config,
    ),
  finder: (ctx, config: FinderConfig) => createFinder(ctx.deps, config),
  validator: (ctx, config: ValidatorConfig) => createValidator(ctx.deps, config),
  synchronizer: async (ctx, config: SynchronizerConfig) => {
    const file = config.processing.priority_relays_file;
    const listed = file ? await readOptional(resolve(ctx.deployment.dir, file)) : undefined;
    if (file && listed === undefined) ctx.deps.logger.warn('priority_relays_file_missing', { path: file });
    const priorityRelays = (listed ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    // the verifier threads end with the service, each after the batch in hand: a thread ended by the process's
    // exit while inside bcrypto's native code would abort the process
    const pool = createVerifierPool();
    const service = createSynchronizer(
      { ...ctx.deps, pool, signer: signerFromEnv(ctx.env, config.keys.keys_env), priorityRelays },
      config,
    );
    return { ...service, close: () => pool.close() };
  },
  refresher: (ctx, config: RefresherConfig) => createRefresher(ctx.deps, config),
  // the generic table API, the purpose-built endpoints under the prefix and the dashboard at /
  api: (ctx, config: ApiConfig) =>
    createApi(ctx.deps, config, {
      openapiPaths: insightOpenApiPaths(config.route_prefix),
      mount: (app) => {
        const page = { maxPageSize: config.max_page_size, defaultPageSize: config.default_page_size };
        app.route(config.route_prefix || '/', insightRoutes(ctx.deps, { ...page, tables: config.tables }));
        app.route('/', dashboardRoutes({ apiPrefix: config.route_prefix, title: dashboardTitle(config.title) }));
      },
    }),
  dvm: (ctx, config: DvmConfig) =>
    createDvm({ ...ctx.deps, signer: signerFromEnv(ctx.env, config.keys.keys_env) }, config),
  monitor: async (ctx, config: MonitorConfig) => {
    const signer = signerFromEnv(ctx.env, config.keys.keys_env);
    if (config.skipped_checks.length > 0) {
      ctx.deps.logger.info('checks_skipped', {
        checks: config.skipped_checks.join(','),
        reason: 'the clearnet network is disabled: these checks need a public host name',
      });
    }
    const geo = config.skipped_checks.includes('nip66_geo') ? {} : await openGeoDatabases(ctx, config.geo);
    return createMonitor({ ...ctx.deps, signer, geo }, config);
  },
};

/** The options every service config has. */
export interface BaseServiceConfig {
  readonly interval: number;
  readonly max_consecutive_failures: number;
  readonly shutdown_grace: number;
}

/** Build a service and its run options. */
export async function buildService(
  name: ServiceCommand,
  config: BaseServiceConfig,
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
  const factory = SERVICE_FACTORIES[name];
  const logger = ctx.logger.child({ service: name });
  const metrics = createServiceMetrics(ctx.registry, name);
  const deps: ServiceDeps = { sql: ctx.sql, logger, metrics, batchSize: ctx.batchSize };
  const service = await factory({ deps, deployment: ctx.deployment, env: ctx.env }, config as never);
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

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The monitor's GeoIP databases (paths relative to the deployment): refreshed from their download URL when
 * missing or older than `max_age_days`; a missing city database falls back to the GeoLite2 City data shipped
 * on npm (best-effort, fewer fields); a missing ASN database leaves the net check not computed. A file that is
 * there but unreadable is a start-up error (GeoDatabaseError names it).
 */
async function openGeoDatabases(ctx: FactoryContext, geo: MonitorConfig['geo']): Promise<GeoReaders> {
  const log = ctx.deps.logger;
  const locate = async (path: string | null, url: string | null): Promise<string | undefined> => {
    if (!path) return undefined;
    const full = resolve(ctx.deployment.dir, path);
    if (url) {
      const r = await refreshGeoDatabase({ url, path: full, maxAgeDays: geo.max_age_days });
      if (r.outcome !== 'fresh') log.info('geo_database_refresh', { path: full, outcome: r.outcome, detail: r.detail });
    }
    if (existsSync(full)) return full;
    log.warn('geo_database_missing', { path: full });
    return undefined;
  };
  const cityPath = await locate(geo.city_database_path, geo.city_download_url);
  const asnPath = await locate(geo.asn_database_path, geo.asn_download_url);
  const readers = await openGeoReaders({ ...(cityPath ? { cityPath } : {}), ...(asnPath ? { asnPath } : {}) });
  if (readers.city) return readers;
  const city = await openDefaultCityReader();
  log.info('geo_database_default', { city: city ? 'GeoLite2 City from npm (best-effort)' : 'none: geo not computed' });
  return city ? { ...readers, city } : readers;
}
