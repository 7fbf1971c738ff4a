/**
 * Structured logging over pino: one line per event, a message name plus fields. Text format
 * (`2026-02-09 12:00:00 INFO synchronizer: cycle_completed inserted=1500 duration=45.2`) or JSON
 * (`{"timestamp","level","service","message",...fields}`). Secrets never reach the output.
 */
import type { Writable } from 'node:stream';
import { pino } from 'pino';
import { redact, redactText } from './redact.js';

/** Log levels, lowest first. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The logging interface every module depends on (easy to fake, stable across pino versions). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Logger options; `stream` defaults to stderr and is injectable so tests can read the output. */
export interface LoggerOpts {
  readonly level?: LogLevel;
  readonly format?: 'text' | 'json';
  readonly stream?: Writable;
  readonly service?: string;
}

/** Build a logger. */
export function createLogger(opts: LoggerOpts = {}): Logger {
  const target = opts.stream ?? process.stderr;
  const destination = opts.format === 'json' ? target : textStream(target);
  const root = pino(
    {
      level: opts.level ?? 'info',
      base: null,
      messageKey: 'message',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(root, opts.service ? { service: opts.service } : {});
}

/**
 * Children are made from the root with the bindings merged, never stacked: pino writes a binding once per
 * child level, so `child({service})` under a logger that already had a service wrote the key twice in JSON.
 */
function wrap(root: pino.Logger, bindings: Record<string, unknown>): Logger {
  const p = Object.keys(bindings).length > 0 ? root.child(bindings) : root;
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields) p[level](redact(fields) as object, redactText(message));
      else p[level](redactText(message));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => wrap(root, { ...bindings, ...(redact(more) as Record<string, unknown>) }),
  };
}

/** A stream that turns pino's JSON lines into the text format. */
function textStream(out: Writable): { write(line: string): void } {
  return {
    write(line: string) {
      out.write(`${formatText(JSON.parse(line) as Record<string, unknown>)}\n`);
    },
  };
}

/** One JSON log record as a text line. */
export function formatText(record: Record<string, unknown>): string {
  const { timestamp, level, service, message, ...fields } = record;
  const time = String(timestamp ?? '')
    .replace('T', ' ')
    .slice(0, 19);
  const head = `${time} ${String(level).toUpperCase()} ${service ? `${String(service)}: ` : ''}${String(message ?? '')}`;
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`);
  return rest.length ? `${head} ${rest.join(' ')}` : head;
}

function formatValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
}
