import { request } from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@single/logger';
import { type HttpErrorsService, httpErrorsContract, rawHttp } from '@single/testing';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';

function build(logger = createLogger({ level: 'silent' })) {
  const http = createHttpApp({ logger, bodyLimit: 64 });
  http.app.get('/items/:id', async () => ({ ok: true }));
  http.app.delete('/items/:id', async () => ({ ok: true }));
  http.app.post('/items', async (request) => request.body);
  return http;
}

async function listening(http = build()): Promise<HttpErrorsService> {
  const address = await http.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    inject: async (request) => (await http.app.inject(request as never)) as never,
    address,
    close: () => http.app.close(),
  };
}

// The base every service builds on; each service runs the same contract against its own app.
httpErrorsContract('@single/http', {
  start: () => listening(),
  getPath: '/items/1',
  methodNotAllowed: { method: 'PUT', url: '/items/1', allow: ['DELETE', 'GET', 'HEAD'] },
  paramRoute: '/items/{param}',
  postPath: '/items',
  body: {
    tooLarge: {
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(100) }),
    },
    unsupportedMediaType: { method: 'POST', url: '/items', headers: { 'content-type': 'text/csv' }, payload: 'a,b' },
    invalidJson: { method: 'POST', url: '/items', headers: { 'content-type': 'application/json' }, payload: '{"n":' },
  },
});

describe('errors before any route', () => {
  it('never logs the raw request bytes of a refused request', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const service = await listening(build(createLogger({ level: 'trace', destination })));
    try {
      const secret = 'Bearer sk_live_TOPSECRET';
      for (const bytes of [
        `GET /items/1 HTTP/1.1\r\nAuthorization: ${secret}\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`,
        `GET /items/1 HTTP/1.1\nAuthorization: ${secret}\n\n`,
        `POST /items HTTP/1.1\r\nAuthorization: ${secret}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
      ]) {
        expect((await rawHttp(service.address, bytes)).status).toBeGreaterThanOrEqual(400);
      }
      const log = lines.join('');
      expect(log).toContain('header_too_large');
      expect(log).toContain('malformed_request');
      expect(log).not.toContain('TOPSECRET');
      expect(log).not.toContain('ppppp');
    } finally {
      await service.close();
    }
  });

  it('answers a request on an open connection after close() began with problem+json 503, then closes', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const http = build(createLogger({ level: 'info', destination }));
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    let release: () => void = () => {};
    http.app.get('/slow', async () => {
      started();
      await new Promise<void>((resolve) => (release = resolve));
      return { done: true };
    });
    const service = await listening(http);
    const { port } = new URL(service.address);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await running;
    const closing = service.close(); // the connection is busy, so close() leaves it open
    socket.write('GET /items/1 HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    release();
    await ended;
    await closing;
    const [, late = ''] = received.split(/(?=HTTP\/1\.1 )/);
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(late).toMatch(/^HTTP\/1\.1 503 /);
    expect(late.toLowerCase()).toContain('content-type: application/problem+json; charset=utf-8');
    expect(late.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(late.slice(late.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 503, code: 'shutting_down' });
    // Every rolling restart does this: a warning with the code, not an error with a stack that pages nobody's fault.
    const refused = lines.map((l) => JSON.parse(l)).find((l) => l.code === 'shutting_down');
    expect(refused).toMatchObject({ level: 'warn', status: 503 });
    expect(refused).not.toHaveProperty('err');
  });

  it('answers readiness 503 as problem+json naming the dependency', async () => {
    const http = createHttpApp({
      logger: createLogger({ level: 'silent' }),
      readiness: [{ name: 'db', check: async () => false }],
    });
    const res = await http.app.inject('/health/ready');
    expect([res.statusCode, res.headers['content-type']]).toEqual([503, 'application/problem+json; charset=utf-8']);
    expect(res.json()).toMatchObject({ status: 503, code: 'not_ready', dependencies: { db: 'down' } });
  });

  it('keeps 404 for a handler that calls callNotFound on a declared method', async () => {
    const http = build();
    http.app.get('/maybe', (_request, reply) => reply.callNotFound());
    const res = await http.app.inject('/maybe');
    expect([res.statusCode, res.json().code]).toEqual([404, 'not_found']);
  });
});

describe('Expect and Host, where Node would answer by itself', () => {
  it('still invites and takes a body within the limit on Expect: 100-continue, and HTTP/1.0 needs no Host', async () => {
    const service = await listening();
    try {
      const answer = await new Promise<{ status: number; body: string; invited: boolean }>((resolve, reject) => {
        let invited = false;
        const req = request(`${service.address}/items`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '8', expect: '100-continue' },
        });
        req.on('continue', () => {
          invited = true;
          req.end('{"n":12}');
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, invited }));
        });
        req.on('error', reject);
      });
      expect(answer).toEqual({ status: 200, body: '{"n":12}', invited: true });

      const old = await rawHttp(service.address, 'GET /items/1 HTTP/1.0\r\n\r\n');
      expect([old.status, old.body]).toEqual([200, '{"ok":true}']);
    } finally {
      await service.close();
    }
  });
});
