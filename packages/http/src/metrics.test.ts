import { silentLogger } from '@single/logger';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';
import { createMetricsRegistry, prefersOpenMetrics, registerMetrics, scrapeGauge, scrapeReader } from './metrics.ts';

describe('registerMetrics', () => {
  it('serves Prometheus text with process metrics and counts answers by route pattern and status', async () => {
    const { app } = createHttpApp({ logger: silentLogger() });
    const registry = createMetricsRegistry();
    registerMetrics(app, registry);
    app.get('/d/:token', async (request, reply) =>
      (request.params as { token: string }).token === 'ok' ? { ok: true } : reply.code(410).send({ gone: true }),
    );
    await app.inject({ url: '/d/ok' });
    await app.inject({ url: '/d/secret-token-1' });
    await app.inject({ url: '/d/secret-token-2' });
    await app.inject({ url: '/no/such/path' });

    const response = await app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = response.body;
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('http_responses_total{method="GET",route="/d/:token",status_code="200"} 1');
    expect(text).toContain('http_responses_total{method="GET",route="/d/:token",status_code="410"} 2');
    expect(text).toContain('http_responses_total{method="GET",route="unmatched",status_code="404"} 1');
    expect(text).not.toContain('secret-token');
  });
});

// What Prometheus sends: 2.x lists OpenMetrics first; 3.x adds escaping parameters and text/plain 1.0.0.
const PROMETHEUS_2_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_3_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';

describe('GET /metrics negotiates OpenMetrics or the Prometheus text format by Accept', () => {
  function metricsApp() {
    const { app } = createHttpApp({ logger: silentLogger() });
    const registry = createMetricsRegistry();
    registerMetrics(app, registry);
    scrapeGauge({
      name: 'test_backlog_rows',
      help: 'rows waiting, read at scrape time',
      labelNames: ['lane'],
      registry,
      read: async () => 42,
      values: (n) => [{ labels: { lane: 'dispatch' }, value: n }],
    });
    app.get('/d/:token', async () => ({ ok: true }));
    return app;
  }

  it('an Accept listing application/openmetrics-text gets OpenMetrics 1.0, by prom-client, ending in # EOF', async () => {
    const app = metricsApp();
    await app.inject({ url: '/d/ok' });
    const response = await app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(OPENMETRICS);
    expect(response.headers.vary).toMatch(/accept/i);
    const text = response.body;
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    expect(text).not.toMatch(/\n\n/); // OpenMetrics has no blank lines (the text format separates families with them)
    // A counter family is named without _total, its samples with it.
    expect(text).toContain('# TYPE http_responses counter');
    expect(text).toContain('http_responses_total{method="GET",route="/d/:token",status_code="200"} 1');
    expect(text).toContain('# TYPE process_cpu_user_seconds counter');
    expect(text).toContain('test_backlog_rows{lane="dispatch"} 42'); // a gauge read at scrape time
  });

  it.each([
    ['Prometheus 2', PROMETHEUS_2_ACCEPT, OPENMETRICS],
    ['Prometheus 3', PROMETHEUS_3_ACCEPT, OPENMETRICS],
    ['OpenMetrics preferred by q', 'text/plain;version=0.0.4;q=0.5, application/openmetrics-text;q=0.8', OPENMETRICS],
    ['text preferred by q', 'application/openmetrics-text;version=1.0.0;q=0.3, text/plain;version=0.0.4;q=0.9', TEXT],
    ['OpenMetrics refused (q=0)', 'application/openmetrics-text;q=0, */*;q=0.1', TEXT],
    ['the Datadog agent (text 0.0.4)', 'text/plain;version=0.0.4', TEXT],
    ['any type', '*/*', TEXT],
    ['no Accept', undefined, TEXT],
    ['a type it does not serve', 'application/json', TEXT],
  ])('%s: %s -> %s', async (_who, accept, contentType) => {
    const app = metricsApp();
    const response = await app.inject({ url: '/metrics', headers: accept === undefined ? {} : { accept } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.body.endsWith('# EOF\n')).toBe(contentType === OPENMETRICS);
  });

  it('an OpenMetrics scrape leaves the text format as it was (counters keep _total)', async () => {
    const app = metricsApp();
    await app.inject({ url: '/d/ok' });
    const before = (await app.inject({ url: '/metrics' })).body;
    for (let i = 0; i < 2; i++) {
      const open = await app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_3_ACCEPT } });
      expect(open.body).toContain('# TYPE http_responses counter');
      expect(open.body).toContain('http_responses_total{method="GET",route="/d/:token",status_code="200"} 1');
    }
    const after = await app.inject({ url: '/metrics', headers: { accept: 'text/plain' } });
    expect(after.headers['content-type']).toBe(TEXT);
    for (const text of [before, after.body]) {
      expect(text).toContain('# TYPE http_responses_total counter');
      expect(text).toContain('http_responses_total{method="GET",route="/d/:token",status_code="200"} 1');
      expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
      expect(text).not.toContain('# EOF');
    }
  });

  it('HEAD answers as GET would, without a body', async () => {
    const app = metricsApp();
    const open = await app.inject({ method: 'HEAD', url: '/metrics', headers: { accept: PROMETHEUS_2_ACCEPT } });
    expect(open.statusCode).toBe(200);
    expect(open.headers['content-type']).toBe(OPENMETRICS);
    expect(open.body).toBe('');
    const text = await app.inject({ method: 'HEAD', url: '/metrics' });
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toBe(TEXT);
    expect(text.body).toBe('');
  });

  it('prefersOpenMetrics takes a malformed Accept as no preference for OpenMetrics', () => {
    expect(prefersOpenMetrics('application/openmetrics-text;q=x')).toBe(false); // q not a number: not acceptable
    expect(prefersOpenMetrics('application/openmetrics-text; =x')).toBe(true); // a broken parameter is skipped
    expect(prefersOpenMetrics('"')).toBe(false);
    expect(prefersOpenMetrics('')).toBe(false);
  });
});

describe('scrapeReader and scrapeGauge', () => {
  it('reads once per ttl however many scrapes come, and shares one read in flight', async () => {
    const registry = createMetricsRegistry();
    let reads = 0;
    const read = scrapeReader(
      async () => {
        reads += 1;
        await new Promise((r) => setTimeout(r, 20));
        return reads;
      },
      { source: 'test', registry, ttlMs: 60_000 },
    );
    scrapeGauge({
      name: 'test_backlog',
      help: 'h',
      labelNames: ['lane'],
      registry,
      read,
      values: (n) => [{ labels: { lane: 'a' }, value: n }],
    });
    const scrapes = await Promise.all(Array.from({ length: 20 }, () => registry.metrics()));
    expect(reads).toBe(1);
    for (const text of scrapes) expect(text).toContain('test_backlog{lane="a"} 1');
  });

  it('a read past its deadline is counted and the gauge keeps its last value instead of holding the scrape', async () => {
    const registry = createMetricsRegistry();
    let slow = false;
    const read = scrapeReader(() => new Promise<number>((resolve) => setTimeout(() => resolve(7), slow ? 5_000 : 0)), {
      source: 'postgres',
      registry,
      ttlMs: 0,
      timeoutMs: 100,
    });
    scrapeGauge({
      name: 'test_age',
      help: 'h',
      labelNames: [],
      registry,
      read,
      values: (n) => [{ labels: {}, value: n }],
    });
    expect(await registry.metrics()).toContain('test_age 7');
    slow = true;
    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(text).toContain('test_age 7');
    // The error counter is written before the gauge's read runs: the next scrape shows it.
    expect(await registry.metrics()).toContain('metrics_source_errors_total{source="postgres"} 1');
  });
});
