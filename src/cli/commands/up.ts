/** `bigbrotr up`: the whole pipeline in one process on one machine. */
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment } from '../deployment.js';
import { EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandLogger } from '../logging.js';
import { openDatabase } from '../runtime.js';

/** The services `up` runs, in start order, once they are built (see the README's status table). */
const CONTINUOUS_SERVICES: readonly string[] = [];

/** Run `bigbrotr up` until SIGINT/SIGTERM. */
export async function upCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('up', argv, COMMON_OPTIONS);
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const logger = commandLogger(io, values, 'up');
  await using open = await openDatabase(deployment, io, logger, { schema: 'verify' });
  logger.info('up_ready', {
    deployment: deployment.name,
    database: open.db.target,
    embedded: Boolean(open.embedded),
    services: CONTINUOUS_SERVICES.length ? CONTINUOUS_SERVICES.join(',') : 'none built yet',
  });
  if (!io.stop.aborted) await new Promise((resolve) => io.stop.addEventListener('abort', resolve, { once: true }));
  logger.info('up_stopping');
  return EXIT.ok;
}
