/**
 * Options every service has (interval, failure limit, metrics, pool override, shutdown grace) and the blocks some
 * share: networks (validator, monitor, synchronizer), keys (the services that sign), tables (API and DVM).
 */
import { z } from 'zod';
import type { Network } from '../../models/network.js';
import { poolOverrideSchema } from './brotr.js';
import { bool, identifier, int, section, str } from './fields.js';

/** The interval bounds: 60 s – 7 days. */
export const INTERVAL = { min: 60, max: 604_800 } as const;

/** Prometheus endpoint of a service. */
export const metricsSchema = section({
  enabled: bool(false),
  host: str('127.0.0.1'),
  port: int(1, 65535, 8000),
  path: z.string().startsWith('/').default('/metrics'),
});

/**
 * The base options, to spread into a service schema. `allow_short_interval: true` lifts the 60 s minimum for
 * tests and demos only (documented in docs/operations.md); never use it against public relays.
 */
export function baseServiceShape(defaultInterval = 300) {
  return {
    interval: z.number().positive().max(INTERVAL.max).default(defaultInterval),
    allow_short_interval: bool(false),
    max_consecutive_failures: int(0, 1000, 5),
    shutdown_grace: z.number().min(0).max(600).default(30),
    metrics: metricsSchema,
    pool: poolOverrideSchema.optional(),
  };
}

/** Enforce the interval minimum unless the test-only override is set. */
export function checkInterval(v: { interval: number; allow_short_interval: boolean }, ctx: z.RefinementCtx): void {
  if (v.interval < INTERVAL.min && !v.allow_short_interval) {
    ctx.addIssue({
      code: 'custom',
      path: ['interval'],
      message: `expected at least ${INTERVAL.min} seconds (allow_short_interval: true lifts this, for tests only)`,
      input: v.interval,
    });
  }
}

const network = (enabled: boolean, proxy: string | null, maxTasks: number, timeout: number) =>
  section({
    enabled: bool(enabled),
    proxy_url: z
      .string()
      .regex(/^socks5h?:\/\/[^\s/]+$/, 'expected socks5://host:port')
      .nullable()
      .default(proxy),
    max_tasks: int(1, 200, maxTasks),
    timeout: z.number().min(1).max(120).default(timeout),
  });

/** The `networks:` block of validator, monitor and synchronizer (`local` opt-in). */
export const networksSchema = section({
  clearnet: network(true, null, 30, 10),
  tor: network(false, 'socks5://tor:9050', 10, 30),
  i2p: network(false, 'socks5://i2p:4447', 5, 45),
  loki: network(false, 'socks5://lokinet:1080', 5, 30),
  local: network(false, null, 30, 10),
});

/** A validated networks block. */
export type NetworksConfig = z.output<typeof networksSchema>;

/** The enabled networks of a networks block, in configuration order. */
export function enabledNetworks(networks: NetworksConfig): Network[] {
  return (Object.keys(networks) as Network[]).filter((n) => networks[n].enabled);
}

/** The Nostr key block of the services that sign. */
export const keysSchema = section({
  keys_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable')
    .default('NOSTR_PRIVATE_KEY'),
});

/** Which tables the API and DVM expose, and their price in millisats (DVM). Nothing is exposed by default. */
export const tablesSchema = z
  .record(identifier, z.strictObject({ enabled: bool(false), price: int(0, Number.MAX_SAFE_INTEGER, 0) }))
  .default({});
