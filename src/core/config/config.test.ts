// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are the config files' own ${VAR} syntax
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { brotrConfigSchema, mergePoolConfig } from './brotr.js';
import { ConfigError } from './errors.js';
import { interpolate, parseConfigText } from './load.js';
import { baseServiceShape, checkInterval, networksSchema } from './service.js';

const serviceSchema = z.strictObject({ ...baseServiceShape(), networks: networksSchema }).superRefine(checkInterval);

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('config loading', () => {
  it('interpolates ${VAR} and ${VAR:-default}, and $$ as a literal dollar', () => {
    expect(interpolate('a: ${A}\nb: ${B:-x:y}\nc: $${A}', { A: '1' }, 'f.yaml')).toBe('a: 1\nb: x:y\nc: ${A}');
    expect(issuesOf(() => interpolate('a: ${MISSING}', {}, 'f.yaml'))).toEqual([
      ': environment variable MISSING is not set and has no default',
    ]);
  });

  it('fills every default of brotr.yaml from an empty file, with the embedded database', () => {
    const c = parseConfigText('', brotrConfigSchema, 'brotr.yaml', {});
    expect(c.database).toMatchObject({
      embedded: true,
      host: 'localhost',
      port: 5432,
      database: 'bigbrotr',
      user: 'admin',
      password_env: 'DB_ADMIN_PASSWORD',
    });
    expect(c.pool).toMatchObject({
      min_size: 1,
      max_size: 5,
      max_queries: 50_000,
      max_inactive_connection_lifetime: 300,
      acquisition_timeout: 10,
    });
    expect(c.batch.max_size).toBe(1000);
    expect(c.timeouts).toEqual({ query: 60, batch: 120, cleanup: 90, refresh: null });
    expect(parseConfigText('database: embedded', brotrConfigSchema, 'b.yaml', {}).database.embedded).toBe(true);
    expect(
      parseConfigText('database: {embedded: false, port: ${P}}', brotrConfigSchema, 'b.yaml', { P: '6432' }).database
        .port,
    ).toBe(6432);
  });

  it('rejects unknown keys, wrong types and out-of-range values, naming the key path', () => {
    expect(issuesOf(() => parseConfigText('pool: {max_sise: 3}', brotrConfigSchema, 'b.yaml', {}))).toEqual([
      'pool.max_sise: unknown key (check the spelling)',
    ]);
    expect(issuesOf(() => parseConfigText('batch: {max_size: 0}', brotrConfigSchema, 'b.yaml', {}))[0]).toMatch(
      /^batch\.max_size: .*>=1 \(got 0\)$/,
    );
    expect(issuesOf(() => parseConfigText('database: {port: "x"}', brotrConfigSchema, 'b.yaml', {}))[0]).toMatch(
      /^database(\.port)?: /,
    );
    expect(
      issuesOf(() => parseConfigText('networks: {tor: {max_tasks: 500}}', serviceSchema, 's.yaml', {}))[0],
    ).toMatch(/^networks\.tor\.max_tasks: .*<=200/);
    expect(issuesOf(() => parseConfigText('interval: 5', serviceSchema, 's.yaml', {}))[0]).toMatch(
      /^interval: expected at least 60 seconds/,
    );
    expect(parseConfigText('interval: 5\nallow_short_interval: true', serviceSchema, 's.yaml', {}).interval).toBe(5);
    expect(issuesOf(() => parseConfigText('pool: {password_env: "hunter2"}', serviceSchema, 's.yaml', {}))[0]).toMatch(
      /NAME of an environment variable/,
    );
  });

  it('gives the reference network defaults', () => {
    const c = parseConfigText('', serviceSchema, 's.yaml', {});
    expect(c.networks.clearnet).toEqual({ enabled: true, proxy_url: null, max_tasks: 30, timeout: 10 });
    expect(c.networks.tor).toEqual({ enabled: false, proxy_url: 'socks5://tor:9050', max_tasks: 10, timeout: 30 });
    expect(c.networks.i2p.timeout).toBe(45);
    expect(c.networks.local.enabled).toBe(false);
    expect(c.metrics).toEqual({ enabled: false, host: '127.0.0.1', port: 8000, path: '/metrics' });
  });

  it('merges a service pool block over brotr.yaml; the application name defaults to the service', () => {
    const brotr = parseConfigText('', brotrConfigSchema, 'b.yaml', {});
    expect(mergePoolConfig(brotr, undefined, 'finder')).toEqual({
      user: 'admin',
      passwordEnv: 'DB_ADMIN_PASSWORD',
      minSize: 1,
      maxSize: 5,
      applicationName: 'finder',
    });
    expect(
      mergePoolConfig(brotr, { user: 'writer', password_env: 'DB_WRITER_PASSWORD', max_size: 20 }, 'synchronizer'),
    ).toEqual({
      user: 'writer',
      passwordEnv: 'DB_WRITER_PASSWORD',
      minSize: 1,
      maxSize: 20,
      applicationName: 'synchronizer',
    });
  });
});
