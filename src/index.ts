/**
 * BigBrotr public API: the models and pure functions, the store over the stored functions, the database and
 * runtime pieces, and the verifier pool. Services are built from these with injected dependencies.
 */
export * from './core/config/index.js';
export * from './core/db/batches.js';
export * from './core/db/errors.js';
export * from './core/db/maintenance.js';
export * from './core/db/pool.js';
export * from './core/db/retry.js';
export * from './core/db/schema.js';
export * from './core/db/store.js';
export * from './core/embedded.js';
export * from './core/logger.js';
export * from './core/metrics.js';
export * from './core/runner.js';
export * from './models/index.js';
export * from './utils/deadline.js';
export * from './utils/verifier/pool.js';
