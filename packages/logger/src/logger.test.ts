import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts secrets, personal data and IPs at any depth', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test', destination });
    log.info(
      {
        req: {
          headers: { authorization: 'Bearer sk_live_1', 'x-shopify-hmac-sha256': 'abc=', 'x-forwarded-for': '1.2.3.4' },
        },
        payload: { email: 'fan@example.com', customer: { first_name: 'Ana' }, browser_ip: '203.0.113.9', id: 42 },
        token: 'raw-download-token',
      },
      'webhook received',
    );
    const text = JSON.stringify(lines[0]);
    for (const leaked of [
      'sk_live_1',
      'abc=',
      '1.2.3.4',
      'fan@example.com',
      'Ana',
      '203.0.113.9',
      'raw-download-token',
    ]) {
      expect(text).not.toContain(leaked);
    }
    expect(lines[0]).toMatchObject({ level: 'info', service: 'test', msg: 'webhook received', payload: { id: 42 } });
  });

  it('lets the geo pipeline log client IPs but still hides secrets', () => {
    const { lines, destination } = capture();
    createLogger({ destination, allowIps: true }).info({ clientIp: '198.51.100.7', token: 't' }, 'capture');
    expect(lines[0]).toMatchObject({ clientIp: '198.51.100.7', token: '[redacted]' });
  });

  it('adds mixin fields such as trace ids to every line', () => {
    const { lines, destination } = capture();
    createLogger({ destination, mixin: () => ({ dd: { trace_id: '1' } }) }).warn('x');
    expect(lines[0]).toMatchObject({ dd: { trace_id: '1' }, level: 'warn' });
  });
});

describe('redaction of shared objects', () => {
  it('does not modify the object that was logged', () => {
    const { lines, destination } = capture();
    const payload = { order: { email: 'fan@example.com', id: 1 }, list: [{ token: 't' }] };
    createLogger({ destination }).info({ payload }, 'x');
    expect(payload.order.email).toBe('fan@example.com');
    expect(payload.list[0]?.token).toBe('t');
    expect(lines[0]).toMatchObject({
      payload: { order: { email: '[redacted]', id: 1 }, list: [{ token: '[redacted]' }] },
    });
  });

  it('redacts keys whatever their case, inside errors context too', () => {
    const { lines, destination } = capture();
    createLogger({ destination }).error({ headers: { Authorization: 'Bearer x', 'X-Forwarded-For': '1.2.3.4' } }, 'y');
    expect(JSON.stringify(lines[0])).not.toMatch(/Bearer x|1\.2\.3\.4/);
  });
});
