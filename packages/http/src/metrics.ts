import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Each app's own registry (never prom-client's global one: tests build several apps in one process), with
 * Node's process metrics (CPU, memory, event loop lag, GC) under their standard names.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `GET /metrics` in the Prometheus text format (0.0.4, which the Datadog agent's OpenMetrics check reads) and
 * `http_responses_total{method,route,status_code}` counted in an onResponse hook. The route label is the
 * route's pattern (`/d/:token`, never the token), and `unmatched` for a path no route knows, so a scanner
 * cannot grow the series without bound. The charts keep /metrics off the public IngressRoute.
 */
export function registerMetrics(app: FastifyInstance, registry: Registry): void {
  countResponses(app, registry);
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

/** `http_responses_total` alone, for an app that serves its registry on a route of its own. */
export function countResponses(app: FastifyInstance, registry: Registry): void {
  const responses = new Counter({
    name: 'http_responses_total',
    help: 'HTTP answers, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  // A callback hook, not an async one (see app.ts): it runs on every request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    responses.inc({ method: request.method, route: route ?? 'unmatched', status_code: reply.statusCode });
    done();
  });
}

export interface ScrapeReaderOptions {
  /** A result younger than this is served again: a scrape storm costs the source one query per window. */
  ttlMs?: number;
  /** A read slower than this fails the scrape's gauges (they keep their last values) instead of holding it. */
  timeoutMs?: number;
  /** What is read, for `metrics_source_errors_total{source}`. */
  source: string;
  registry: Registry;
}

/**
 * Wraps a read of an outside source (PostgreSQL, RabbitMQ, Kafka) for gauges computed at scrape time: at
 * most one read in flight, its result cached for `ttlMs`, and a deadline. A failed or late read is counted
 * and rejects, and the gauges that asked keep what they last showed (see `scrapeGauge`): a stuck database
 * must not make every scrape wait, nor turn a backlog into a reassuring 0.
 */
export function scrapeReader<T>(read: () => Promise<T>, options: ScrapeReaderOptions): () => Promise<T> {
  const ttlMs = options.ttlMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const errors = sourceErrors(options.registry);
  let cached: { at: number; value: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (cached && Date.now() - cached.at < ttlMs) return Promise.resolve(cached.value);
    inFlight ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${options.source} read took over ${timeoutMs} ms`)), timeoutMs);
        });
        const value = await Promise.race([read(), late]);
        cached = { at: Date.now(), value };
        return value;
      } catch (err) {
        errors.inc({ source: options.source });
        throw err;
      } finally {
        clearTimeout(timer);
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
}

function sourceErrors(registry: Registry): Counter<'source'> {
  const existing = registry.getSingleMetric('metrics_source_errors_total');
  if (existing) return existing as Counter<'source'>;
  return new Counter({
    name: 'metrics_source_errors_total',
    help: 'Scrape-time reads of PostgreSQL, RabbitMQ or Kafka that failed or ran past their deadline',
    labelNames: ['source'],
    registers: [registry],
  });
}

export interface ScrapeGaugeOptions<L extends string, T> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registry: Registry;
  read: () => Promise<T>;
  /** The series to show from what was read; the gauge is reset first, so a series that went away goes too. */
  values: (result: T) => Iterable<{ labels: Partial<Record<L, string | number>>; value: number }>;
}

/** A gauge set at each scrape from a `scrapeReader` (several gauges may share one read). */
export function scrapeGauge<L extends string, T>(options: ScrapeGaugeOptions<L, T>): Gauge<L> {
  const gauge: Gauge<L> = new Gauge<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [options.registry],
    async collect() {
      let result: T;
      try {
        result = await options.read();
      } catch {
        return; // counted by the reader; the last values stay
      }
      gauge.reset();
      for (const { labels, value } of options.values(result)) gauge.set(labels, value);
    },
  });
  return gauge;
}
