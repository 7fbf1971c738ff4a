/** finder.yaml: relay discovery from HTTP sources, NIP-66 monitors and archived events. */
import { z } from 'zod';
import { bool, int, num, section } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval } from '../../core/config/service.js';

const source = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }),
    enabled: bool(true),
    timeout: num(0.1, 300, 30),
    connect_timeout: num(0.1, 300, 10),
    /** JMESPath that must yield a list of strings (validated as non-empty here; compiled by the finder). */
    expression: z.string().min(1).default('[*]'),
    allow_insecure: bool(false),
  })
  .refine((s) => s.connect_timeout <= s.timeout, {
    message: 'connect_timeout must not exceed timeout',
    path: ['connect_timeout'],
  });

/** The finder's configuration schema. */
export const finderConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    api: section({
      enabled: bool(true),
      cooldown: int(60, 30 * 86_400, 86_400),
      request_delay: num(0, 60, 1),
      max_response_size: int(1024, 100 * 1024 * 1024, 5 * 1024 * 1024),
      sources: z.array(source).default([]),
    }),
    monitors: section({
      /** NIP-66 30166 events of these monitor pubkeys (hex) are a discovery source. */
      enabled: bool(true),
      pubkeys: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'expected a 64-character hex pubkey')).default([]),
    }),
    events: section({
      enabled: bool(true),
      scan_size: int(10, 100_000, 500),
      batch_size: int(10, 100_000, 500),
      parallel_relays: int(1, 1000, 60),
      max_relay_time: num(1, 86_400, 900),
      max_duration: num(1, 7 * 86_400, 7200),
    }),
  })
  .superRefine(checkInterval);

/** A validated finder.yaml. */
export type FinderConfig = z.output<typeof finderConfigSchema>;
