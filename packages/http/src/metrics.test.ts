import { silentLogger } from '@single/logger';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';
import { createMetricsRegistry, registerMetrics, scrapeGauge, scrapeReader } from './metrics.ts';

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
