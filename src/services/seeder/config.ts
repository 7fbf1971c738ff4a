/** seeder.yaml: a one-shot import of the seed list as candidates or relays. */
import { z } from 'zod';
import { bool, section, str } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval } from '../../core/config/service.js';

/** The seeder's configuration schema. */
export const seederConfigSchema = z
  .strictObject({
    ...baseServiceShape(),
    seed: section({ file_path: str('static/seed_relays.txt'), to_validate: bool(true) }),
  })
  .superRefine(checkInterval);

/** A validated seeder.yaml. */
export type SeederConfig = z.output<typeof seederConfigSchema>;
