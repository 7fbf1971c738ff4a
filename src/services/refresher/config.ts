/** refresher.yaml: statistics views and the orphan cleanups. */
import { z } from 'zod';
import { bool, identifier, int, section } from '../../core/config/fields.js';
import { baseServiceShape, checkInterval } from '../../core/config/service.js';
import { isStatisticsView, STATISTICS_VIEWS } from '../../core/db/maintenance.js';

/** The refresher's configuration schema (default interval one day). */
export const refresherConfigSchema = z
  .strictObject({
    ...baseServiceShape(86_400),
    refresh: section({
      views: z
        .array(identifier.refine(isStatisticsView, { message: `expected one of ${STATISTICS_VIEWS.join(', ')}` }))
        .default([...STATISTICS_VIEWS]),
    }),
    cleanup: section({
      enabled: bool(true),
      interval: int(60, 30 * 86_400, 86_400),
      batch_size: int(100, 1_000_000, 10_000),
    }),
  })
  .superRefine(checkInterval);

/** A validated refresher.yaml. */
export type RefresherConfig = z.output<typeof refresherConfigSchema>;
