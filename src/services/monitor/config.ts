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
    // set by the schema itself (skipClearnetChecks); accepted so a validated config validates again
    skipped_checks: z.array(z.string()).optional(),
  })
  .transform(skipClearnetChecks)
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

/** The checks that need the clearnet (a public host name and address): TLS certificate, DNS, GeoIP, ASN. */
export const CLEARNET_ONLY_CHECKS = ['nip66_ssl', 'nip66_dns', 'nip66_geo', 'nip66_net'] as const;

/**
 * With the clearnet disabled, the clearnet-only checks cannot apply to any relay: they are switched off (compute,
 * store and include) and listed in `skipped_checks`, which the monitor reports once at start, instead of the
 * config being rejected until each is switched off by hand.
 */
function skipClearnetChecks<
  C extends {
    networks: { clearnet: { enabled: boolean } };
    processing: { compute: Record<string, boolean>; store: Record<string, boolean> };
    discovery: { include: Record<string, boolean> };
  },
>(c: C): C & { skipped_checks: string[] } {
  if (c.networks.clearnet.enabled) return { ...c, skipped_checks: [] };
  const skipped = CLEARNET_ONLY_CHECKS.filter((k) => c.processing.compute[k]);
  const off = Object.fromEntries(CLEARNET_ONLY_CHECKS.map((k) => [k, false]));
  return {
    ...c,
    processing: {
      ...c.processing,
      compute: { ...c.processing.compute, ...off },
      store: { ...c.processing.store, ...off },
    },
    discovery: { ...c.discovery, include: { ...c.discovery.include, ...off } },
    skipped_checks: skipped,
  };
}

/** A validated monitor.yaml. */
export type MonitorConfig = z.output<typeof monitorConfigSchema>;
