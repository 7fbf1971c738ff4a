/** synchronizer.yaml: complete event collection (docs/operations.md, synchronizer). */
import { z } from 'zod';
import { bool, int, num, section } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval, keysSchema, networksSchema } from '../../core/config/service.js';

/** A NIP-01 filter in config; since/until/limit inside it are ignored (the synchronizer sets them). */
const filter = z.record(z.string(), z.unknown());

/** The synchronizer's configuration schema. */
export const synchronizerConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    networks: networksSchema,
    keys: keysSchema,
    processing: section({
      filters: z.array(filter).min(1).default([{}]),
      since: int(0, Number.MAX_SAFE_INTEGER, 0),
      until: z.number().int().min(0).nullable().default(null),
      limit: int(10, 5000, 500),
      end_lag: int(0, 604_800, 86_400),
      batch_size: int(100, 10_000, 1000),
      allow_insecure: bool(false),
      max_event_size: z.number().int().min(256).nullable().default(null),
      // ephemeral kinds (20000-29999) are relayed, not kept, by relays: skipped (and counted) unless this is set
      keep_ephemeral: bool(false),
      live_tail: bool(false),
      live_tail_max_relays: int(1, 100_000, 1000),
      negentropy: bool(true),
      negentropy_reprobe: int(3600, 90 * 86_400, 7 * 86_400),
      // the trailing re-check of late events: reconciled (NIP-77) / walked again (REQ) before the cursor; 0 = off
      recheck_span: int(0, 30 * 86_400, 86_400),
      recheck_req_span: int(0, 30 * 86_400, 3_600),
      // kinds asked for alone before the walk, to learn what the relay withholds (strfry: 4 and 1059)
      restricted_kinds_probe: z.array(z.number().int().min(0).max(65_535)).max(16).default([4, 1059]),
      priority_relays: z.array(z.string().min(1)).default([]),
      priority_relays_file: z.string().min(1).nullable().default(null),
      priority_max_tasks: int(1, 200, 5),
    }),
    timeouts: section({ idle: num(1, 86_400, 300), max_duration: num(1, 7 * 86_400, 14_400) }),
  })
  .superRefine(checkInterval);

/** A validated synchronizer.yaml. */
export type SynchronizerConfig = z.output<typeof synchronizerConfigSchema>;
