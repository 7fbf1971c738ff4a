/** Command-line parsing shared by every command (node:util parseArgs, strict: unknown flags are errors). */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** Options every command that touches a deployment accepts. */
export const COMMON_OPTIONS = {
  deployment: { type: 'string' },
  'brotr-config': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Parse argv against a set of options; a mistake becomes a UsageError naming the command. */
export function parseCommand<T extends OptionSpec>(
  command: string,
  argv: readonly string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}\nRun 'bigbrotr ${command} --help' for usage.`);
  }
}

/** The common logging options, validated. */
export function loggingOptions(values: { 'log-level'?: string | undefined; 'log-format'?: string | undefined }): {
  level: string;
  format: 'text' | 'json';
} {
  const level = values['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
    throw new UsageError(`--log-level must be one of trace, debug, info, warn, error, fatal, silent (got '${level}')`);
  }
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`--log-format must be text or json (got '${format}')`);
  return { level, format };
}

/** Parse a non-negative integer option (seconds, counts); undefined stays undefined. */
export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer (got '${value}')`);
  return Number(value);
}
