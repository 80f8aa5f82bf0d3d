import { silentLogger } from '@single/logger';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';
import { ProblemError } from './problem.ts';

function build(readyDeps = { db: true }) {
  const http = createHttpApp({
    logger: silentLogger(),
    bodyLimit: 64,
    readiness: Object.entries(readyDeps).map(([name, up]) => ({
      name,
      check: async () => {
        if (!up) throw new Error('down');
        return true;
      },
    })),
  });
  http.app.post(
    '/echo',
    { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async (req) => req.body,
  );
  http.app.get('/teapot', async () => {
    throw new ProblemError(418, 'teapot', 'I am a teapot', { detail: 'short and stout' });
  });
  http.app.get('/boom', async () => {
    throw new Error('secret internals');
  });
  return http;
}

describe('http base', () => {
  it('answers liveness and readiness, and readiness fails while shutting down', async () => {
    const { app, health } = build();
    expect((await app.inject('/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', dependencies: { db: 'up' } });
    health.shuttingDown = true;
    expect((await app.inject('/health/ready')).statusCode).toBe(503);
  });

  it('reports a down dependency as 503', async () => {
    const res = await build({ db: false }).app.inject('/health/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json().dependencies).toEqual({ db: 'down' });
  });

  it.each([
    ['validation', { method: 'POST', url: '/echo', payload: { n: 'x' } }, 400, 'validation_failed'],
    [
      'bad json',
      { method: 'POST', url: '/echo', payload: '{"n":', headers: { 'content-type': 'application/json' } },
      400,
      'invalid_json',
    ],
    ['too large', { method: 'POST', url: '/echo', payload: { n: 1, pad: 'x'.repeat(100) } }, 413, 'payload_too_large'],
    [
      'media type',
      { method: 'POST', url: '/echo', payload: 'x', headers: { 'content-type': 'text/csv' } },
      415,
      'unsupported_media_type',
    ],
    ['not found', { method: 'GET', url: '/nope?x=1' }, 404, 'not_found'],
    ['problem', { method: 'GET', url: '/teapot' }, 418, 'teapot'],
    ['crash', { method: 'GET', url: '/boom' }, 500, 'internal_error'],
  ] as const)('maps %s to problem+json', async (_name, request, status, code) => {
    const res = await build().app.inject(request as never);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status, code, title: expect.any(String), requestId: expect.any(String) });
    expect(res.body).not.toContain('secret internals');
  });

  it('keeps a well-formed incoming request id and replaces a hostile one', async () => {
    const { app } = build();
    expect(
      (await app.inject({ url: '/health/live', headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id'],
    ).toBe('abc-123');
    const hostile = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'a b <script>' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
