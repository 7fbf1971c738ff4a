/** api.yaml: the read-only REST API and dashboard. */
import { z } from 'zod';
import { bool, int, num, section, str } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval, tablesSchema } from '../../core/config/service.js';

/** The API's configuration schema. */
export const apiConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    title: str('BigBrotr API'),
    // why loopback: an api.yaml that says nothing must not publish the archive on every interface
    host: str('127.0.0.1'),
    port: int(1, 65535, 8080),
    route_prefix: z
      .string()
      .regex(/^(\/[a-z0-9_-]+)*$/, 'expected a path such as /v1')
      .default('/v1'),
    max_page_size: int(1, 100_000, 1000),
    default_page_size: int(1, 100_000, 100),
    tables: tablesSchema,
    cors_origins: z.array(z.string()).default([]),
    request_timeout: num(1, 600, 30),
    /** The read-only Nostr relay endpoint at /relay (docs/relay.md). */
    relay: section({
      enabled: bool(true),
      max_limit: int(1, 100_000, 5000),
      max_subscriptions: int(1, 1000, 20),
      max_filters: int(1, 100, 10),
      max_message_length: int(1024, 16 * 1024 * 1024, 131_072),
      max_connections_per_address: int(1, 100_000, 20),
      negentropy_max_records: int(1, 10_000_000, 500_000),
      count_timeout: num(0.1, 600, 2),
      live_poll_interval: num(0.05, 60, 1),
      live_lag: int(0, 600, 5),
      max_buffered_bytes: int(16 * 1024, 1024 * 1024 * 1024, 1024 * 1024),
      slow_client_timeout: num(0.1, 600, 10),
    }),
  })
  .superRefine(checkInterval)
  .refine((c) => c.default_page_size <= c.max_page_size, {
    message: 'default_page_size must not exceed max_page_size',
    path: ['default_page_size'],
  });

/** A validated api.yaml. */
export type ApiConfig = z.output<typeof apiConfigSchema>;
