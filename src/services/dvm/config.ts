/** dvm.yaml: the NIP-90 Data Vending Machine. */
import { z } from 'zod';
import { bool, int, num, str } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval, keysSchema, tablesSchema } from '../../core/config/service.js';

/** The DVM's configuration schema. */
export const dvmConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    keys: keysSchema,
    name: str('BigBrotr DVM'),
    about: z.string().default('Query the BigBrotr Nostr archive'),
    d_tag: str('bigbrotr-dvm'),
    relays: z.array(z.string().min(1)).default([]),
    kind: int(5000, 5999, 5050),
    default_page_size: int(1, 100_000, 100),
    max_page_size: int(1, 100_000, 1000),
    tables: tablesSchema,
    announce: bool(true),
    fetch_timeout: num(1, 600, 30),
    /** Largest result event (serialized), bytes; rows beyond it are cut (strfry's default limit is 64 KiB). */
    max_result_bytes: int(4096, 16 * 1024 * 1024, 65_536),
    allow_insecure: bool(false),
  })
  .superRefine(checkInterval);

/** A validated dvm.yaml. */
export type DvmConfig = z.output<typeof dvmConfigSchema>;
