/**
 * Least privilege: every service connects as its deployment role (deployments/sql/02_roles.sql), never as the
 * superuser, under `bigbrotr up` and the embedded server too (docs/deployment.md, "Roles").
 *
 * - writer: seeder, finder, validator, monitor, synchronizer; refresher: refresher;
 * - reader: the API (SELECT and EXECUTE only, read-only transactions);
 * - dvm: the DVM (what reader reads, plus its own `service_state` rows, read-only transactions by default).
 *
 * A service config's `pool.user` names another role; without one the service gets its deployment role (not
 * brotr.yaml's admin user). On the embedded server the roles log in with passwords generated beside the data
 * directory (`rolePassword`); a superuser role is refused there.
 */
import type postgres from 'postgres';
import {
  type BrotrConfig,
  type EffectiveConnection,
  mergePoolConfig,
  type PoolOverride,
} from '../core/config/index.js';
import { createDb, type Db, type DbOpts } from '../core/db/pool.js';
import { initDatabase } from '../core/db/schema.js';
import { type EmbeddedServer, rolePassword } from '../core/embedded.js';
import type { Logger } from '../core/logger.js';
import { isServiceName, type ServiceName } from '../models/service-state.js';
import type { CliIo } from './io.js';

/** The deployment role of each service. */
export const SERVICE_ROLES: Readonly<Record<ServiceName, string>> = {
  seeder: 'writer',
  finder: 'writer',
  validator: 'writer',
  monitor: 'writer',
  synchronizer: 'writer',
  refresher: 'refresher',
  api: 'reader',
  dvm: 'dvm',
};

/** The environment variable holding each role's password on a production server. */
export const ROLE_PASSWORD_ENV: Readonly<Record<string, string>> = {
  writer: 'DB_WRITER_PASSWORD',
  reader: 'DB_READER_PASSWORD',
  refresher: 'DB_REFRESHER_PASSWORD',
  dvm: 'DB_DVM_PASSWORD',
};

/** The services whose sessions start every transaction read-only. */
export const READ_ONLY_SERVICES: ReadonlySet<string> = new Set(['api', 'dvm']);

/** A service's connection: its `pool:` block over brotr.yaml, its deployment role when the block names none. */
export function serviceConnection(
  brotr: BrotrConfig,
  override: PoolOverride | undefined,
  service: string,
): EffectiveConnection {
  const conn = mergePoolConfig(brotr, override, service);
  if (override?.user !== undefined || !isServiceName(service)) return conn;
  const role = SERVICE_ROLES[service];
  return { ...conn, user: role, passwordEnv: override?.password_env ?? ROLE_PASSWORD_ENV[role] ?? conn.passwordEnv };
}

/** The pool settings brotr.yaml gives every connection. */
export function poolOptions(
  brotr: BrotrConfig,
  conn: EffectiveConnection,
): Omit<DbOpts, 'host' | 'port' | 'database' | 'user'> {
  return {
    maxSize: conn.maxSize,
    idleTimeoutSec: brotr.pool.max_inactive_connection_lifetime,
    maxLifetimeSec: brotr.pool.max_lifetime,
    connectTimeoutSec: brotr.pool.acquisition_timeout,
    applicationName: conn.applicationName,
    statementTimeoutMs: (brotr.timeouts.query ?? 0) * 1000,
    prepare: brotr.pool.prepare,
    retry: {
      maxAttempts: brotr.retry.max_attempts,
      initialDelayMs: brotr.retry.initial_delay * 1000,
      maxDelayMs: brotr.retry.max_delay * 1000,
    },
  };
}

/** What opening a service's pool needs from the open database. */
export interface ServicePoolSource {
  readonly db: Db;
  readonly brotr: BrotrConfig;
  readonly embedded: EmbeddedServer | undefined;
}

/** Open `service`'s own pool, as its role (on the embedded server: a login ensured through the admin pool). */
export async function openServicePool(
  open: ServicePoolSource,
  service: string,
  override: PoolOverride | undefined,
  io: CliIo,
  logger: Logger,
): Promise<Db> {
  const conn = serviceConnection(open.brotr, override, service);
  const base = { ...poolOptions(open.brotr, conn), database: open.brotr.database.database, user: conn.user };
  const readOnly = READ_ONLY_SERVICES.has(service);
  if (open.embedded) {
    const password = await ensureEmbeddedLogin(open.db.sql, open.embedded.dataDir, conn.user);
    return createDb({ ...base, host: '127.0.0.1', port: open.embedded.port, password, readOnly }, { logger });
  }
  const password = io.env[conn.passwordEnv];
  if (password === undefined) logger.warn('password_env_unset', { variable: conn.passwordEnv, role: conn.user });
  const { host, port } = open.brotr.database;
  return createDb({ ...base, host, port, password, readOnly }, { logger });
}

/**
 * Let `role` log in to the embedded server with its generated password. The role must exist (the init SQL
 * creates the deployment roles) and must not be a superuser.
 */
export async function ensureEmbeddedLogin(admin: postgres.Sql, dataDir: string, role: string): Promise<string> {
  const [found] = await admin<{ rolsuper: boolean }[]>`SELECT rolsuper FROM pg_roles WHERE rolname = ${role}`;
  if (!found)
    throw new Error(`the role ${role} does not exist on the embedded server (see deployments/sql/02_roles.sql)`);
  if (found.rolsuper) throw new Error(`refusing to run a service as the superuser role ${role}: name a service role`);
  const password = await rolePassword(dataDir, role);
  // ALTER ROLE takes no parameters: the password travels as a transaction-local setting, quoted by format()
  await admin.begin(async (tx) => {
    await tx`SELECT set_config('bigbrotr.role_password', ${password}, true), set_config('bigbrotr.role', ${role}, true)`;
    await tx.unsafe(
      `DO $$ BEGIN EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', current_setting('bigbrotr.role'), current_setting('bigbrotr.role_password')); END $$`,
    );
  });
  return password;
}

/**
 * Bring the roles and grants of an embedded database up to date when it was created before them (a missing
 * deployment role, or reader still able to write): the init SQL is idempotent, so it is applied again.
 */
export async function upgradePrivileges(admin: postgres.Sql, initSqlDir: string, logger: Logger): Promise<void> {
  const roles = [...new Set(Object.values(SERVICE_ROLES))];
  const [row] = await admin<{ present: number; reader_writes: boolean }[]>`
    SELECT (SELECT count(*)::int FROM pg_roles WHERE rolname = ANY(${roles})) AS present,
           EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader')
             AND has_table_privilege('reader', 'service_state', 'INSERT') AS reader_writes`;
  if (row && row.present === roles.length && !row.reader_writes) return;
  logger.info('privileges_upgrading', { roles: roles.join(',') });
  await initDatabase(admin, initSqlDir);
}
