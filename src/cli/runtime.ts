/**
 * Opening the database a command works on: the embedded server (started, database created, schema applied on
 * first start) or the configured server (credentials from the environment, schema verified).
 */
import { resolve } from 'node:path';
import postgres from 'postgres';
import {
  type BrotrConfig,
  brotrConfigSchema,
  loadConfigFile,
  mergePoolConfig,
  type PoolOverride,
} from '../core/config/index.js';
import { SchemaMismatchError } from '../core/db/errors.js';
import { createDb, type Db } from '../core/db/pool.js';
import { initDatabase, verifyDatabase } from '../core/db/schema.js';
import { type EmbeddedServer, startEmbeddedPostgres } from '../core/embedded.js';
import type { Logger } from '../core/logger.js';
import type { DeploymentPaths } from './deployment.js';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';
import {
  openServicePool,
  poolOptions,
  READ_ONLY_SERVICES,
  serviceConnection,
  upgradePrivileges,
} from './service-db.js';

/** An open database and what must be closed with it. */
export interface OpenDb extends AsyncDisposable {
  readonly db: Db;
  readonly brotr: BrotrConfig;
  readonly embedded: EmbeddedServer | undefined;
  close(): Promise<void>;
}

/** How to open: as which service (for its pool override) and whether to create or only verify the schema. */
export interface OpenOpts {
  readonly service?: string;
  readonly pool?: PoolOverride | undefined;
  /** 'init' applies the init SQL; 'verify' refuses a database that lacks objects; 'none' skips both. */
  readonly schema: 'init' | 'verify' | 'none';
}

/** Load brotr.yaml of a deployment. */
export function loadBrotrConfig(deployment: DeploymentPaths, io: CliIo): Promise<BrotrConfig> {
  return loadConfigFile(deployment.brotrConfig, brotrConfigSchema, { env: io.env });
}

/** Open the deployment's database for a command. */
export async function openDatabase(
  deployment: DeploymentPaths,
  io: CliIo,
  logger: Logger,
  opts: OpenOpts,
): Promise<OpenDb> {
  const brotr = await loadBrotrConfig(deployment, io);
  const cfg = brotr.database;
  const service = opts.service ?? brotr.pool.application_name;
  const conn = opts.service
    ? serviceConnection(brotr, opts.pool, opts.service)
    : mergePoolConfig(brotr, opts.pool, service);
  const common = poolOptions(brotr, conn);
  let embedded: EmbeddedServer | undefined;
  let db: Db;
  if (cfg.embedded) {
    const dataDir = resolve(io.cwd, brotr.embedded.data_dir);
    logger.info('embedded_postgres_starting', { data_dir: dataDir });
    embedded = await startEmbeddedPostgres({
      dataDir,
      ...(brotr.embedded.port ? { port: brotr.embedded.port } : {}),
      log: (line) => logger.debug('embedded_postgres', { line }),
    });
    try {
      await ensureDatabase(embedded.url, cfg.database);
      const url = new URL(embedded.url);
      // the superuser prepares the database; services get their own role below (service-db.ts)
      db = await createDb(
        {
          ...common,
          applicationName: `${brotr.pool.application_name}-admin`,
          host: url.hostname,
          port: Number(url.port),
          database: cfg.database,
          user: 'postgres',
          password: decodeURIComponent(url.password),
        },
        { logger },
      );
    } catch (err) {
      await embedded.stop();
      throw err;
    }
    try {
      if (opts.schema !== 'none' && !(await verifyDatabase(db.sql)).ok) {
        logger.info('schema_initialising', { deployment: deployment.name });
        await initDatabase(db.sql, deployment.initSqlDir);
      }
      if (opts.schema !== 'none') await upgradePrivileges(db.sql, deployment.initSqlDir, logger);
    } catch (err) {
      await db.close();
      await embedded.stop();
      throw err;
    }
  } else {
    const password = io.env[conn.passwordEnv];
    if (password === undefined) logger.warn('password_env_unset', { variable: conn.passwordEnv });
    db = await createDb(
      {
        ...common,
        host: cfg.host,
        port: cfg.port,
        database: cfg.database,
        user: conn.user,
        password,
        readOnly: opts.service !== undefined && READ_ONLY_SERVICES.has(opts.service),
      },
      { logger },
    );
  }
  try {
    if (opts.schema === 'init') await initDatabase(db.sql, deployment.initSqlDir);
    if (opts.schema === 'verify') await requireSchema(db);
    if (embedded && opts.service) {
      // one service on the embedded server: it runs as its role, and the superuser's pool is closed
      const admin = db;
      db = await openServicePool({ db: admin, brotr, embedded }, opts.service, opts.pool, io, logger);
      await admin.close();
    }
  } catch (err) {
    await db.close();
    await embedded?.stop();
    throw err;
  }
  const close = async (): Promise<void> => {
    await db.close();
    await embedded?.stop();
  };
  return { db, brotr, embedded, close, [Symbol.asyncDispose]: close };
}

/** Refuse to work on a database that lacks what the services need, saying what is missing. */
export async function requireSchema(db: Db): Promise<void> {
  const result = await verifyDatabase(db.sql);
  if (!result.ok) {
    throw new SchemaMismatchError(
      `the database at ${db.target} is missing: ${result.missing.join(', ')}. Run 'bigbrotr db init' first.`,
    );
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`invalid database name: ${name}`);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (!exists) await sql`CREATE DATABASE ${sql(name)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
