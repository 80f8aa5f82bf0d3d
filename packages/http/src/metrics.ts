import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { Counter, collectDefaultMetrics, Gauge, type Metric, type OpenMetricsContentType, Registry } from 'prom-client';

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
 * `GET /metrics` (HEAD too: the same headers, no body) in the format the scraper asks for (`metricsRoute`), and
 * `http_responses_total{method,route,status_code}` counted in an onResponse hook. The route label is the
 * route's pattern (`/d/:token`, never the token), and `unmatched` for a path no route knows, so a scanner
 * cannot grow the series without bound. The charts keep /metrics off the public IngressRoute.
 */
export function registerMetrics(app: FastifyInstance, registry: Registry): void {
  countResponses(app, registry);
  app.get('/metrics', { logLevel: 'warn' }, metricsRoute(registry));
}

/**
 * Whether an Accept header asks for OpenMetrics before the Prometheus text format: its most preferred media range
 * (by q, then order, as negotiator ranks them; q=0 refuses) that names either. `application/openmetrics-text`
 * is OpenMetrics; `text/plain`, `text/*` and a missing or wildcard Accept are text 0.0.4, which every scraper
 * reads (the Datadog agent's OpenMetrics check asks for it unless told to use the latest spec). Parameters
 * (`version=1.0.0`, Prometheus 3's `escaping=...`) are not compared: prom-client writes one version of each, and
 * our names need no escaping. Prometheus' own Accept lists OpenMetrics first and gets it.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  let ranked: string[];
  try {
    ranked = new Negotiator({ headers: { accept: accept ?? '*/*' } }).mediaTypes();
  } catch {
    return false; // an Accept negotiator cannot read: the default format
  }
  for (const range of ranked) {
    const type = range.toLowerCase();
    if (type === 'application/openmetrics-text') return true;
    if (type === 'text/plain' || type === 'text/*' || type === '*/*') return false;
  }
  return false;
}

/**
 * The registry in OpenMetrics 1.0 (`# EOF` last), by prom-client. prom-client renders a registry in its content
 * type's format, and its OpenMetrics render renames each counter in place (`http_responses_total` becomes
 * `http_responses` for the HELP and TYPE lines; prometheus/client_js#829): rendered from the app's registry, every
 * later text scrape would lose `_total` and the monitors' series. So the app's registry stays text 0.0.4 and each
 * OpenMetrics scrape renders a second registry, of OpenMetrics content type, holding a view of each metric
 * (`Object.create`): the view reads the metric's values and runs its collect, and the rename lands on the view.
 */
export function openMetrics(registry: Registry): Promise<string> {
  const open = new Registry<OpenMetricsContentType>();
  open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // getMetricsAsArray() is typed as the metrics' data; it returns the metric objects themselves.
  for (const metric of registry.getMetricsAsArray()) open.registerMetric(Object.create(metric) as Metric);
  return open.metrics();
}

/**
 * The /metrics handler for `registry`: OpenMetrics when the Accept header prefers it, else text 0.0.4, with the
 * content type of what was sent and `Vary: Accept`. `beforeRender` runs first on each scrape (gauges set from a
 * snapshot the app keeps, as geo-reporting's integrity window).
 */
export function metricsRoute(registry: Registry, beforeRender?: () => void) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    beforeRender?.();
    const open = prefersOpenMetrics(request.headers.accept);
    const body = open ? await openMetrics(registry) : await registry.metrics();
    return reply
      .header('vary', 'Accept')
      .type(open ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE)
      .send(body);
  };
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
