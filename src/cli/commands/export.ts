/** `bigbrotr export`: stored events as JSONL. */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { COMMON_OPTIONS, intOption, parseCommand } from '../args.js';
import { resolveDeployment } from '../deployment.js';
import { EXIT, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { exportEvents } from '../jsonl/exporter.js';
import { commandLogger } from '../logging.js';
import { openDatabase } from '../runtime.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  since: { type: 'string' },
  until: { type: 'string' },
  kinds: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** Run `bigbrotr export`. */
export async function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('export', argv, OPTIONS);
  const since = intOption('since', values.since);
  const until = intOption('until', values.until);
  const kinds = values.kinds?.split(',').map((k) => {
    const kind = intOption('kinds', k.trim());
    if (kind === undefined || kind > 65535)
      throw new UsageError(`--kinds must be integers from 0 to 65535 (got '${k}')`);
    return kind;
  });
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const logger = commandLogger(io, values, 'export');
  await using open = await openDatabase(deployment, io, logger, { schema: 'verify', command: 'export' });
  const out = values.output ? createWriteStream(values.output) : io.stdout;
  const written = await exportEvents(open.db.sql, out, { since, until, kinds }, { signal: io.stop });
  if (values.output) {
    out.end();
    await once(out, 'finish');
  }
  logger.info('export_completed', { events: written });
  return EXIT.ok;
}
