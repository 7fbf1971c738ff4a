/** validator.yaml: promote candidates that really speak NIP-01 to relays. */
import { z } from 'zod';
import { bool, int, section } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval, networksSchema } from '../../core/config/service.js';

/** The validator's configuration schema. */
export const validatorConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    networks: networksSchema,
    processing: section({
      chunk_size: int(1, 10_000, 100),
      max_candidates: z.number().int().min(1).nullable().default(null),
      interval: int(0, 30 * 86_400, 3600),
      allow_insecure: bool(false),
    }),
    cleanup: section({ enabled: bool(true), max_failures: int(1, 1_000_000, 720) }),
  })
  .superRefine(checkInterval);

/** A validated validator.yaml. */
export type ValidatorConfig = z.output<typeof validatorConfigSchema>;
