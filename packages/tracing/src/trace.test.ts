import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractTraceContext, traceHeaders, traceLogFields, tracer, withSpan } from './trace.ts';

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
