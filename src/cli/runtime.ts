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
import { DatabaseUnreachableError, SchemaMismatchError } from '../core/db/errors.js';
import { createDb, type Db } from '../core/db/pool.js';
import { initDatabase, verifyDatabase } from '../core/db/schema.js';
import type { Logger } from '../core/logger.js';
import type { DeploymentPaths } from './deployment.js';
import { acquireEmbedded, type EmbeddedHandle } from './embedded-server.js';
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
  readonly embedded: EmbeddedHandle | undefined;
  close(): Promise<void>;
}

/** How to open: as which service (for its pool override) and whether to create or only verify the schema. */
export interface OpenOpts {
  readonly service?: string;
  readonly pool?: PoolOverride | undefined;
  /** 'init' applies the init SQL; 'verify' refuses a database that lacks objects; 'none' skips both. */
  readonly schema: 'init' | 'verify' | 'none';
  /** The command opening it (`up`, `export`…): recorded with the embedded server it starts (embedded-server.ts). */
  readonly command?: string;
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
  let embedded: EmbeddedHandle | undefined;
  let db: Db | undefined;
  try {
    if (cfg.embedded) {
      const dataDir = resolve(io.cwd, brotr.embedded.data_dir);
      logger.info('embedded_postgres_starting', { data_dir: dataDir });
      embedded = await acquireEmbedded({
        dataDir,
        command: opts.command ?? opts.service ?? 'bigbrotr',
        ...(brotr.embedded.port ? { port: brotr.embedded.port } : {}),
        log: (line) => logger.debug('embedded_postgres', { line }),
      });
      if (embedded.attachedTo) {
        const { pid, command } = embedded.attachedTo;
        logger.info('embedded_postgres_shared', { owner: `bigbrotr ${command}`, pid, port: embedded.port });
      }
      await ensureDatabase(embedded.url, cfg.database);
      const url = new URL(embedded.url);
      // the superuser prepares the database; services get their own role (service-db.ts)
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
      if (opts.schema !== 'none' && !(await verifyDatabase(db.sql)).ok) {
        logger.info('schema_initialising', { deployment: deployment.name });
        await initDatabase(db.sql, deployment.initSqlDir);
      }
      if (opts.schema !== 'none') await upgradePrivileges(db.sql, deployment.initSqlDir, logger);
    } else {
      const password = io.env[conn.passwordEnv];
      if (password === undefined) logger.debug('password_env_unset', { variable: conn.passwordEnv });
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
      ).catch((err: unknown) => {
        throw password === undefined ? withPasswordHint(err, conn.passwordEnv) : err;
      });
    }
    if (opts.schema === 'init') await initDatabase(db.sql, deployment.initSqlDir);
    if (opts.schema === 'verify') await requireSchema(db);
    if (embedded && opts.service) {
      // one service on the embedded server: it runs as its role, and the superuser's pool is closed
      const admin = db;
      db = await openServicePool({ db: admin, brotr, embedded }, opts.service, opts.pool, io, logger);
      await admin.close();
    }
  } catch (err) {
    // never leave a server this command started running after a failed start
    await db?.close().catch(() => undefined);
    await embedded?.stop();
    throw err;
  }
  const opened = db;
  const close = async (): Promise<void> => {
    await opened.close();
    await embedded?.stop();
  };
  return { db: opened, brotr, embedded, close, [Symbol.asyncDispose]: close };
}

/**
 * A server that needs a password the environment does not give: the error names the variable to set. (A server
 * with trust authentication needs none, so an unset variable alone is not worth a warning.)
 */
function withPasswordHint(err: unknown, variable: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (!(typeof code === 'string' && code.startsWith('28')) && !/password/i.test(message)) return err;
  return new DatabaseUnreachableError(`${message} (the environment variable ${variable} is not set)`, { cause: err });
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
