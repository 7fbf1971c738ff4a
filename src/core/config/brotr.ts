/** brotr.yaml: the database connection, pool, batch size and timeouts shared by every service. */
import { z } from 'zod';
import { bool, envName, int, section, str } from './fields.js';

const connection = z.strictObject({
  /** true: the embedded PostgreSQL (default); false: the server below. */
  embedded: bool(true),
  host: str('localhost').refine(
    (h) => !/[/@\s]/.test(h),
    'must be a host name or address, not a URL or user:password@host (passwords go in the variable password_env names)',
  ),
  port: int(1, 65535, 5432),
  database: str('bigbrotr'),
  user: str('admin'),
  password_env: envName('DB_ADMIN_PASSWORD'),
});

/** The brotr.yaml schema. `database: embedded` (or no database section) selects the embedded server. */
export const brotrConfigSchema = z.strictObject({
  database: z.preprocess(
    (v) => (v === 'embedded' || v === undefined || v === null ? { embedded: true } : v),
    connection,
  ),
  embedded: section({
    data_dir: str('./data/pg'),
    /** 0 = any free port. */
    port: int(0, 65535, 0),
  }),
  pool: section({
    min_size: int(0, 100, 1),
    max_size: int(1, 200, 5),
    max_queries: int(1, 10_000_000, 50_000),
    max_inactive_connection_lifetime: int(1, 86_400, 300),
    acquisition_timeout: int(1, 600, 10),
    max_lifetime: int(60, 86_400, 1800),
    application_name: str('bigbrotr'),
    prepare: bool(false),
  }),
  retry: section({
    max_attempts: int(1, 20, 3),
    initial_delay: z.number().min(0.01).max(60).default(1),
    max_delay: z.number().min(0.01).max(600).default(10),
  }),
  batch: section({ max_size: int(1, 100_000, 1000) }),
  timeouts: section({
    query: z.number().min(1).max(86_400).nullable().default(60),
    batch: z.number().min(1).max(86_400).nullable().default(120),
    cleanup: z.number().min(1).max(86_400).nullable().default(90),
    refresh: z.number().min(1).max(86_400).nullable().default(null),
  }),
});

/** A validated brotr.yaml. */
export type BrotrConfig = z.output<typeof brotrConfigSchema>;

/** The per-service `pool:` override block (merged over brotr.yaml's pool and credentials). */
export const poolOverrideSchema = z.strictObject({
  user: z.string().min(1).optional(),
  password_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable')
    .optional(),
  min_size: z.number().int().min(0).max(100).optional(),
  max_size: z.number().int().min(1).max(200).optional(),
  application_name: z.string().min(1).optional(),
});

/** A service's pool override. */
export type PoolOverride = z.output<typeof poolOverrideSchema>;

/** Connection settings of one service: brotr.yaml with the service's `pool:` block over it. */
export interface EffectiveConnection {
  readonly user: string;
  readonly passwordEnv: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly applicationName: string;
}

/** Merge a service's pool override over brotr.yaml; the application name defaults to the service name. */
export function mergePoolConfig(
  brotr: BrotrConfig,
  override: PoolOverride | undefined,
  service: string,
): EffectiveConnection {
  return {
    user: override?.user ?? brotr.database.user,
    passwordEnv: override?.password_env ?? brotr.database.password_env,
    minSize: override?.min_size ?? brotr.pool.min_size,
    maxSize: override?.max_size ?? brotr.pool.max_size,
    applicationName: override?.application_name ?? service,
  };
}
