/** monitor.yaml: NIP-11 and NIP-66 checks, and NIP-66 publishing. */
import { z } from 'zod';
import { bool, int, num, section, str } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval, keysSchema, networksSchema } from '../../core/config/service.js';

const CHECKS = ['nip11_info', 'nip66_rtt', 'nip66_ssl', 'nip66_geo', 'nip66_net', 'nip66_dns', 'nip66_http'] as const;
const retry = section({
  max_attempts: int(0, 10, 0),
  initial_delay: num(0, 60, 1),
  max_delay: num(0, 600, 10),
  jitter: num(0, 1, 0.5),
});
const flags = section(
  Object.fromEntries(CHECKS.map((c) => [c, bool(true)])) as Record<(typeof CHECKS)[number], ReturnType<typeof bool>>,
);
const retries = section(
  Object.fromEntries(CHECKS.map((c) => [c, retry])) as Record<(typeof CHECKS)[number], typeof retry>,
);
const relayList = z.array(z.string().min(1)).default([]);

/** The monitor's configuration schema. */
export const monitorConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    networks: networksSchema,
    keys: keysSchema,
    processing: section({
      chunk_size: int(1, 10_000, 100),
      max_relays: z.number().int().min(1).nullable().default(null),
      allow_insecure: bool(false),
      nip11_info_max_size: int(1024, 64 * 1024 * 1024, 1024 * 1024),
      /** Probe NIP-42 AUTH, NIP-45 COUNT and NIP-77 NEG-OPEN on relays that opened (beyond the reference). */
      probes: bool(true),
      retries,
      compute: flags,
      store: flags,
    }),
    geo: section({
      city_database_path: z.string().nullable().default(null),
      asn_database_path: z.string().nullable().default(null),
      city_download_url: z.string().nullable().default(null),
      asn_download_url: z.string().nullable().default(null),
      max_age_days: int(1, 3650, 30),
      geohash_precision: int(1, 12, 9),
    }),
    publishing: section({ relays: relayList }),
    discovery: section({
      enabled: bool(true),
      interval: int(60, 30 * 86_400, 14_400),
      include: flags,
      relays: relayList,
    }),
    announcement: section({ enabled: bool(true), interval: int(60, 30 * 86_400, 86_400), relays: relayList }),
    profile: section({
      enabled: bool(true),
      interval: int(60, 30 * 86_400, 86_400),
      name: str('BigBrotr Monitor'),
      about: z.string().default(''),
      picture: z.string().default(''),
      nip05: z.string().default(''),
      website: z.string().default(''),
      banner: z.string().default(''),
      lud16: z.string().default(''),
      relays: relayList,
    }),
    relay_list: section({ enabled: bool(true), interval: int(60, 30 * 86_400, 86_400), relays: relayList }),
  })
  .superRefine(checkInterval)
  .superRefine((c, ctx) => {
    for (const check of CHECKS) {
      if (c.processing.store[check] && !c.processing.compute[check]) {
        ctx.addIssue({
          code: 'custom',
          path: ['processing', 'store', check],
          message: `store requires compute.${check}`,
        });
      }
      if (c.discovery.include[check] && !c.processing.compute[check]) {
        ctx.addIssue({
          code: 'custom',
          path: ['discovery', 'include', check],
          message: `include requires compute.${check}`,
        });
      }
    }
    for (const check of ['nip66_ssl', 'nip66_dns', 'nip66_geo', 'nip66_net'] as const) {
      if (c.processing.compute[check] && !c.networks.clearnet.enabled) {
        ctx.addIssue({
          code: 'custom',
          path: ['processing', 'compute', check],
          message: 'requires the clearnet network',
        });
      }
    }
    const geo = c.geo;
    if (c.processing.compute.nip66_geo && !geo.city_database_path && !geo.city_download_url) {
      ctx.addIssue({
        code: 'custom',
        path: ['geo', 'city_database_path'],
        message: 'nip66_geo needs a database path or a download URL',
      });
    }
    if (c.processing.compute.nip66_net && !geo.asn_database_path && !geo.asn_download_url) {
      ctx.addIssue({
        code: 'custom',
        path: ['geo', 'asn_database_path'],
        message: 'nip66_net needs a database path or a download URL',
      });
    }
  });

/** A validated monitor.yaml. */
export type MonitorConfig = z.output<typeof monitorConfigSchema>;
