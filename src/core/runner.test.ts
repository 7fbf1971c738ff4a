import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Logger } from './logger.js';
import { createServiceMetrics, startMetricsServer } from './metrics.js';
import { type CycleRecord, runService, type Service } from './runner.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

function setup() {
  const registry = new Registry();
  return { registry, metrics: createServiceMetrics(registry, 'test') };
}

describe('runService', () => {
  it('logs one info line per cycle: cycle_completed with the summary the cycle returned, then its duration', async () => {
    const lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = [];
    const at =
      (level: string) =>
      (message: string, fields?: Record<string, unknown>): void =>
        void lines.push({ level, message, fields });
    const logger: Logger = {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: () => logger,
    };
    let n = 0;
    const service: Service = {
      name: 'test',
      cycle: async () => {
        n += 1;
        // a summary's own `duration` gives way to the runner's
        return n === 1 ? { total: 3, failed: 1, duration: 'no' } : undefined;
      },
    };
    const stop = new AbortController();
    const { metrics } = setup();
    const running = runService(service, {
      intervalSec: 0.05,
      maxConsecutiveFailures: 0,
      signal: stop.signal,
      graceMs: 100,
      logger,
      metrics,
    });
    while (n < 3) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    expect(await running).toBe(0);
    const info = lines.filter((l) => l.level === 'info').map((l) => l.message);
    const cycles = info.filter((m) => m === 'cycle_completed');
    expect(cycles.length).toBeGreaterThanOrEqual(3);
    // besides the cycles: the start, the stop request (the last cycle may be running) and the stop
    expect(info.filter((m) => m !== 'cycle_completed' && m !== 'stop_requested')).toEqual([
      'service_started',
      'service_stopped',
    ]);
    const [first, second] = lines.filter((l) => l.message === 'cycle_completed');
    expect(first?.fields).toEqual({ total: 3, failed: 1, duration: expect.any(Number) });
    expect(Object.keys(first?.fields ?? {})).toEqual(['total', 'failed', 'duration']);
    expect(second?.fields).toEqual({ duration: expect.any(Number) });
  });

  it('runs cleanup then cycle once and returns 0, or 1 when the cycle fails', async () => {
    const calls: string[] = [];
    const { metrics } = setup();
    const service: Service = {
      name: 'test',
      cleanup: async () => void calls.push('cleanup'),
      cycle: async () => void calls.push('cycle'),
    };
    const once = { intervalSec: 60, maxConsecutiveFailures: 5, once: true, graceMs: 100, logger: quiet, metrics };
    expect(await runService(service, once)).toBe(0);
    expect(calls).toEqual(['cleanup', 'cycle']);
    const failing: Service = { name: 'test', cycle: async () => Promise.reject(new TypeError('boom')) };
    expect(await runService(failing, once)).toBe(1);
  });

  it('keeps a fixed cadence, counts failures by error name and stops at max_consecutive_failures', async () => {
    const { registry, metrics } = setup();
    const starts: number[] = [];
    const service: Service = {
      name: 'test',
      cycle: async () => {
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 20));
        if (starts.length >= 2) throw new RangeError('bad');
        return undefined;
      },
    };
    const code = await runService(service, {
      intervalSec: 0.1,
      maxConsecutiveFailures: 3,
      graceMs: 100,
      logger: quiet,
      metrics,
    });
    expect(code).toBe(1);
    expect(starts).toHaveLength(4);
    for (let i = 1; i < starts.length; i++) {
      const gap = (starts[i] ?? 0) - (starts[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(90);
    }
    expect(await metricValue(registry, 'service_counter_total', { name: 'cycles_success' })).toBe(1);
    expect(await metricValue(registry, 'service_counter_total', { name: 'cycles_failed' })).toBe(3);
    expect(await metricValue(registry, 'service_counter_total', { name: 'errors_RangeError' })).toBe(3);
    expect(await metricValue(registry, 'service_gauge', { name: 'consecutive_failures' })).toBe(3);
  });

  it('reports every cycle to recordCycle (times, outcome, error) and goes on when recording fails', async () => {
    const { metrics } = setup();
    const records: CycleRecord[] = [];
    const warnings: string[] = [];
    const logger: Logger = { ...quiet, warn: (event) => void warnings.push(event), child: () => logger };
    let n = 0;
    const service: Service = {
      name: 'test',
      cycle: async () => {
        n += 1;
        if (n === 2) throw new RangeError('second cycle broke');
        return undefined;
      },
    };
    const clock = { t: 1_700_000_000_000 };
    const stop = new AbortController();
    const code = await runService(service, {
      intervalSec: 0,
      maxConsecutiveFailures: 0,
      graceMs: 100,
      logger,
      metrics,
      now: () => (clock.t += 1_500),
      recordCycle: async (r) => {
        records.push(r);
        if (records.length === 3) throw new Error('database gone');
        if (records.length === 4) stop.abort();
      },
      signal: stop.signal,
    });
    expect(code).toBe(0);
    expect(records).toHaveLength(4);
    expect(Object.keys(records[0] ?? {}).sort()).toEqual(['ended_at', 'outcome', 'started_at']);
    expect(records[1]).toMatchObject({ outcome: 'failed', error: 'RangeError: second cycle broke' });
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'failed', 'ok', 'ok']);
    for (const r of records) {
      expect(Number.isInteger(r.started_at) && r.started_at >= 1_700_000_000).toBe(true);
      expect(r.ended_at).toBeGreaterThan(r.started_at);
    }
    expect(warnings).toEqual(['cycle_record_failed']);
  });

  it('on stop lets the current cycle finish its batch and exits 0; a cycle ignoring the stop exits 1 after the grace', async () => {
    const { metrics } = setup();
    let committed = false;
    const stop = new AbortController();
    const polite: Service = {
      name: 'test',
      cycle: async (signal) => {
        setTimeout(() => stop.abort(), 10);
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        await new Promise((r) => setTimeout(r, 30));
        committed = true;
        return undefined;
      },
    };
    expect(
      await runService(polite, {
        intervalSec: 60,
        maxConsecutiveFailures: 0,
        signal: stop.signal,
        graceMs: 1000,
        logger: quiet,
        metrics,
      }),
    ).toBe(0);
    expect(committed).toBe(true);

    const stubborn = new AbortController();
    const started = Date.now();
    const rude: Service = {
      name: 'test',
      cycle: async () => {
        setTimeout(() => stubborn.abort(), 10);
        await new Promise((r) => setTimeout(r, 5000));
        return undefined;
      },
    };
    expect(
      await runService(rude, {
        intervalSec: 60,
        maxConsecutiveFailures: 0,
        signal: stubborn.signal,
        graceMs: 100,
        logger: quiet,
        metrics,
      }),
    ).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('metrics server', () => {
  it('serves the reference metric names on the configured path and 404 elsewhere', async () => {
    const { registry, metrics } = setup();
    metrics.setGauge('relays_seen', 7);
    metrics.observeCycle(2);
    await using server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, path: '/metrics' });
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(text).toContain('service_info{service="test"} 1');
    expect(text).toContain('service_gauge{service="test",name="relays_seen"} 7');
    expect(text).toContain('cycle_duration_seconds_bucket{le="5",service="test"} 1');
    createServiceMetrics(registry, 'second').inc('cycles_success');
    expect(await registry.metrics()).toContain('service_counter_total{service="second",name="cycles_success"} 1');
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  });
});
