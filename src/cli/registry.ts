/** Every service the CLI knows: its config schema and, once built, how to create it. */
import type { z } from 'zod';
import { apiConfigSchema } from '../services/api/config.js';
import { dvmConfigSchema } from '../services/dvm/config.js';
import { finderConfigSchema } from '../services/finder/config.js';
import { monitorConfigSchema } from '../services/monitor/config.js';
import { refresherConfigSchema } from '../services/refresher/config.js';
import { seederConfigSchema } from '../services/seeder/config.js';
import { synchronizerConfigSchema } from '../services/synchronizer/config.js';
import { validatorConfigSchema } from '../services/validator/config.js';
import type { ServiceCommand } from './help.js';

/** The config schema of each service. */
export const SERVICE_SCHEMAS: Readonly<Record<ServiceCommand, z.ZodType>> = {
  seeder: seederConfigSchema,
  finder: finderConfigSchema,
  validator: validatorConfigSchema,
  monitor: monitorConfigSchema,
  synchronizer: synchronizerConfigSchema,
  refresher: refresherConfigSchema,
  api: apiConfigSchema,
  dvm: dvmConfigSchema,
};
