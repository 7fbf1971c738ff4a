/** Service dependencies for tests: a logger and metrics that record what they were given. */
import type postgres from 'postgres';
import type { Logger } from '../core/logger.js';
import type { ServiceMetrics } from '../core/metrics.js';
import type { ServiceDeps } from '../core/service-deps.js';

/** One recorded log line. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** Deps whose logger and metrics can be inspected. */
export interface RecordingDeps extends ServiceDeps {
  readonly logs: LogRecord[];
  readonly gauges: Map<string, number>;
  readonly counters: Map<string, number>;
}

/** A logger that appends to `logs`. */
export function recordingLogger(logs: LogRecord[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: LogRecord['level']) =>
    (message: string, fields: Record<string, unknown> = {}): void =>
      void logs.push({ level, message, fields: { ...bindings, ...fields } });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(logs, { ...bindings, ...more }),
  };
}

/** Build recording deps around a database client; `now` fixes the clock (seconds). */
export function recordingDeps(sql: postgres.Sql, opts: { now?: () => number; batchSize?: number } = {}): RecordingDeps {
  const logs: LogRecord[] = [];
  const gauges = new Map<string, number>();
  const counters = new Map<string, number>();
  const metrics: ServiceMetrics = {
    setGauge: (name, value) => void gauges.set(name, value),
    inc: (name, by = 1) => void counters.set(name, (counters.get(name) ?? 0) + by),
    observeCycle: () => undefined,
  };
  return { sql, logger: recordingLogger(logs), metrics, logs, gauges, counters, ...opts };
}
