import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDatadogAgent, startFakeDatadogAgent } from './datadog-agent.ts';

// The real tracer (dd-trace, loaded as the apps load it) sends to the stand-in; nothing here encodes a payload
// by hand, so the decoder is checked against the wire format dd-trace actually writes.
const tracingDir = fileURLToPath(new URL('../../tracing/', import.meta.url));
const script = `
const tracer = require('dd-trace');
tracer.trace('outer.op', { resource: 'outer-resource' }, (outer) => {
  tracer.trace('inner.op', { tags: { 'order.kind': 'paid' } }, () => {});
  console.log(outer.context().toTraceId() + ' ' + outer.context().toSpanId());
});`;

let agent: FakeDatadogAgent | undefined;
afterEach(async () => agent?.close());

describe('fake Datadog agent', () => {
  it.each(['0.4', '0.5'])('receives the spans dd-trace sends with protocol v%s', async (version) => {
    agent = await startFakeDatadogAgent();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', './src/register.ts', '-e', script], {
      cwd: tracingDir,
      env: {
        ...process.env,
        DD_TRACE_ENABLED: 'true',
        DD_TRACE_AGENT_URL: agent.url,
        DD_TRACE_AGENT_PROTOCOL_VERSION: version,
        DD_SERVICE: 'agent-test',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      },
      timeout: 30_000,
    });
    const [traceId, outerSpanId] = stdout.trim().split(' ');
    const spans = await agent.waitFor((s) => s.length >= 2, 10_000);
    expect(agent.rejected()).toEqual([]);
    const outer = spans.find((s) => s.name === 'outer.op');
    const inner = spans.find((s) => s.name === 'inner.op');
    expect(outer).toMatchObject({ traceId, spanId: outerSpanId, parentId: '0', service: 'agent-test' });
    expect(outer?.resource).toBe('outer-resource');
    expect(inner).toMatchObject({ traceId, parentId: outerSpanId, service: 'agent-test' });
    expect(inner?.meta['order.kind']).toBe('paid');
    expect(Number(inner?.duration)).toBeGreaterThanOrEqual(0);
  });
});
