/** api.yaml (spec 05): the read-only REST API and dashboard. */
import { z } from 'zod';
import { int, num, str } from '../../core/config/fields.js';
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
  })
  .superRefine(checkInterval)
  .refine((c) => c.default_page_size <= c.max_page_size, {
    message: 'default_page_size must not exceed max_page_size',
    path: ['default_page_size'],
  });

/** A validated api.yaml. */
export type ApiConfig = z.output<typeof apiConfigSchema>;
