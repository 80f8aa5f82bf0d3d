import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  outboxTraceContext,
  relaySpans,
  traceHeaders,
  traceLogFields,
  tracer,
  withSpan,
} from './trace.ts';

describe('trace context in message headers', () => {
  it('continues the publisher trace on the consumer side', () => {
    tracer.init({ startupLogs: false, url: 'http://127.0.0.1:1', flushInterval: 60_000, plugins: false });
    let headers: Record<string, unknown> = {};
    let publishTraceId = '';
    withSpan('amqp.publish', {}, (span) => {
      publishTraceId = span.context().toTraceId();
      // Kafka hands headers back as Buffers: the consumer must read those too.
      headers = Object.fromEntries(Object.entries(traceHeaders()).map(([k, v]) => [k, Buffer.from(v)]));
    });
    expect(Object.keys(headers).length).toBeGreaterThan(0);
    withSpan('amqp.consume', { parentHeaders: headers }, (span) => {
      expect(span.context().toTraceId()).toBe(publishTraceId);
      expect(traceLogFields()).toMatchObject({ dd: { trace_id: publishTraceId } });
    });
    expect(extractTraceContext({})).toBeNull();
    expect(traceLogFields()).toEqual({});
  });

  it('publishes each outbox row as a child of the trace that wrote it, one span per stored context', () => {
    tracer.init({ startupLogs: false, url: 'http://127.0.0.1:1', flushInterval: 60_000, plugins: false });
    expect(outboxTraceContext()).toBeNull();
    const written = ['order-a', 'order-b'].map((name) =>
      withSpan(name, {}, (span) => ({ traceId: span.context().toTraceId(), stored: outboxTraceContext() })),
    );
    const [a, b] = written as [(typeof written)[0], (typeof written)[0]];
    expect(a.traceId).not.toBe(b.traceId);
    // Rows as the relay reads them back (jsonb): a, a, b and one written outside any trace.
    const spans = relaySpans('kafka.produce', [a.stored, a.stored, b.stored, null], { resource: 'sales.v1' });
    const traceOf = (headers: Record<string, string>) => extractTraceContext(headers)?.toTraceId();
    expect(spans.headers.map(traceOf).slice(0, 3)).toEqual([a.traceId, a.traceId, b.traceId]);
    // Same stored context, same producer span; the row without one starts a trace of its own.
    expect(spans.headers[0]).toEqual(spans.headers[1]);
    expect(traceOf(spans.headers[3]!)).not.toMatch(new RegExp(`^(${a.traceId}|${b.traceId})$`));
    // A consumer continues the row's trace, nested under the producer span.
    withSpan('consume', { parentHeaders: spans.headers[2] }, (span) => {
      expect(span.context().toTraceId()).toBe(b.traceId);
    });
    spans.finish();
  });

  it('is loaded with --import and stays quiet with no agent', () => {
    const register = fileURLToPath(new URL('./register.ts', import.meta.url));
    const child = spawnSync(
      process.execPath,
      ['--import', register, '-e', "const t=require('dd-trace'); t.trace('x', () => {}); console.log('ok')"],
      {
        env: { ...process.env, DD_TRACE_AGENT_URL: 'http://127.0.0.1:1', DD_SERVICE: 'quiet-test' },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('ok');
    expect(child.stderr).toBe('');
  });
});
