/**
 * Prometheus metrics with the reference's names, so its dashboards and alert rules work:
 * service_info{service}, cycle_duration_seconds{service}, service_gauge{service,name},
 * service_counter_total{service,name}. The registry is built by the caller; several services may share it.
 */
import { createServer } from 'node:http';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The metric helpers a service uses. */
export interface ServiceMetrics {
  setGauge(name: string, value: number): void;
  inc(name: string, by?: number): void;
  observeCycle(seconds: number): void;
}

/** Cycle duration buckets of the reference. */
export const CYCLE_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

interface Families {
  info: Gauge<'service'>;
  duration: Histogram<'service'>;
  gauge: Gauge<'service' | 'name'>;
  counter: Counter<'service' | 'name'>;
}

function families(registry: Registry): Families {
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    info: get(
      'service_info',
      () => new Gauge({ name: 'service_info', help: 'Service information', labelNames: ['service'], registers }),
    ),
    duration: get(
      'cycle_duration_seconds',
      () =>
        new Histogram({
          name: 'cycle_duration_seconds',
          help: 'Duration of a service cycle',
          labelNames: ['service'],
          buckets: CYCLE_BUCKETS,
          registers,
        }),
    ),
    gauge: get(
      'service_gauge',
      () => new Gauge({ name: 'service_gauge', help: 'Service gauges', labelNames: ['service', 'name'], registers }),
    ),
    counter: get(
      'service_counter_total',
      () =>
        new Counter({
          name: 'service_counter_total',
          help: 'Service counters',
          labelNames: ['service', 'name'],
          registers,
        }),
    ),
  };
}

/** Register (once per registry) the metric families and return the helpers of one service. */
export function createServiceMetrics(registry: Registry, service: string): ServiceMetrics {
  const f = families(registry);
  f.info.set({ service }, 1);
  return {
    setGauge: (name, value) => f.gauge.set({ service, name }, value),
    inc: (name, by = 1) => f.counter.inc({ service, name }, by),
    observeCycle: (seconds) => f.duration.observe({ service }, seconds),
  };
}

/** Where the metrics endpoint listens. */
export interface MetricsServerOpts {
  readonly registry: Registry;
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

/** A running metrics endpoint. */
export interface MetricsServer extends AsyncDisposable {
  readonly port: number;
  close(): Promise<void>;
}

/** Serve the registry at `http://host:port/path`; everything else is 404. */
export function startMetricsServer(opts: MetricsServerOpts): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== opts.path) {
      res.writeHead(404).end('not found\n');
      return;
    }
    opts.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      const close = (): Promise<void> => new Promise((r) => server.close(() => r()));
      resolve({ port, close, [Symbol.asyncDispose]: close });
    });
  });
}
