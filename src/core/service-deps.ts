/** What every service is built with (house style: injected dependencies, one composition root). */
import type postgres from 'postgres';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

/** The collaborators a service's `createX(deps, config)` receives. */
export interface ServiceDeps {
  readonly sql: postgres.Sql;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Seconds since the epoch (injected so tests control time); default the wall clock. */
  readonly now?: () => number;
  /** Rows per database round trip (brotr.yaml `batch.max_size`). */
  readonly batchSize?: number;
}

/** The current time in whole seconds, from the deps' clock. */
export function nowSeconds(deps: Pick<ServiceDeps, 'now'>): number {
  return deps.now ? deps.now() : Math.floor(Date.now() / 1000);
}
