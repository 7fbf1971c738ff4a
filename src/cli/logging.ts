/** The CLI's logger: level and format from the command line, output on stderr. */
import { createLogger, type Logger, type LogLevel } from '../core/logger.js';
import { loggingOptions } from './args.js';
import type { CliIo } from './io.js';

/** Build the logger of a command from its `--log-level` / `--log-format` options. */
export function commandLogger(
  io: CliIo,
  values: { 'log-level'?: string | undefined; 'log-format'?: string | undefined },
  service?: string,
): Logger {
  const { level, format } = loggingOptions(values);
  return createLogger({ level: level as LogLevel, format, stream: io.stderr, ...(service ? { service } : {}) });
}
