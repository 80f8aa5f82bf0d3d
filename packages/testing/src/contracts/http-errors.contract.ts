import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every answer of every service is RFC 9457 problem+json with a stable `code`, also the errors raised
 * before a request reaches a route: Node's HTTP parser (sent with raw sockets, as no HTTP client would
 * send them) and fastify's router (sent with inject). Each service runs this suite against its app.
 */

interface InjectRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}
interface InjectResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json(): unknown;
}

export interface HttpErrorsService {
  inject(request: InjectRequest): Promise<InjectResponse>;
  /** `http://host:port` of the listening app. */
  address: string;
  /** Sent with the body cases, e.g. an API key: a refused credential would answer before the body is read. */
  headers?: Record<string, string>;
  close(): Promise<void>;
}

export interface HttpErrorsHarness {
  start(): Promise<HttpErrorsService>;
  /** A path the service answers with GET. */
  getPath: string;
  /** A path and a method it does not declare, with the methods it does declare (sorted, HEAD with GET). */
  methodNotAllowed: { method: string; url: string; allow: string[] };
  /** A route URL with one path parameter written `{param}`, for fastify's maxParamLength (414). */
  paramRoute?: string;
  /** A path for the framing cases (refused by Node's parser whatever the route): a POST route if any. */
  postPath: string;
  /** Requests of this service that must be refused for their body (a service without body routes has none). */
  body?: {
    tooLarge?: InjectRequest;
    unsupportedMediaType?: InjectRequest;
    invalidJson?: InjectRequest;
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Sends bytes on a fresh TCP connection; resolves at the server's close, or `waitMs` after the answer. */
export function rawHttp(address: string, bytes: string, waitMs = 1_500): Promise<RawResponse> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('error', () => {}); // a reset after the answer is the server closing too
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(bytes, 'latin1');
    const timer = setTimeout(finish, waitMs);
    function finish() {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4), closed });
    }
  });
}

function expectProblem(
  status: number,
  code: string,
  answer: { status: number; contentType: unknown; body: string },
): Record<string, unknown> {
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({
    status,
    contentType: 'application/problem+json; charset=utf-8',
  });
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: expect.stringContaining(code), title: expect.any(String), status, code });
  return problem;
}

export function httpErrorsContract(name: string, harness: HttpErrorsHarness) {
  describe(`${name}: errors before any route are problem+json`, () => {
    let service: HttpErrorsService;
    beforeAll(async () => {
      service = await harness.start();
    });
    afterAll(async () => service?.close());

    const get = harness.getPath;
    const post = harness.postPath;
    // Node's parser refuses these: a complete problem+json answer, then the connection is closed.
    it.each([
      [
        'a header section over 16 KiB',
        `GET ${get} HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`,
        431,
        'header_too_large',
      ],
      [
        'a request line over 16 KiB',
        `GET ${get}?q=${'u'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
        414,
        'uri_too_long',
      ],
      [
        'a bad chunk size',
        `POST ${post} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        400,
        'malformed_request',
      ],
      [
        'Content-Length with Transfer-Encoding',
        `POST ${post} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        400,
        'malformed_request',
      ],
      [
        'two different Content-Length headers',
        `POST ${post} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
        400,
        'malformed_request',
      ],
      ['bare LF line ends', `GET ${get} HTTP/1.1\nHost: a\n\n`, 400, 'malformed_request'],
      ['an invalid method', `G@T ${get} HTTP/1.1\r\nHost: a\r\n\r\n`, 400, 'invalid_method'],
      ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501, 'method_not_implemented'],
      // Node's own answers to these (an empty 400, a bare 417) are turned off or handled: see @single/http.
      ['no Host header (HTTP/1.1)', `GET ${get} HTTP/1.1\r\n\r\n`, 400, 'invalid_host'],
      ['two Host headers', `GET ${get} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`, 400, 'invalid_host'],
      [
        'an Expect other than 100-continue',
        `POST ${post} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 200-ok\r\n\r\n`,
        417,
        'expectation_failed',
      ],
    ] as const)('%s', async (_case, bytes, status, code) => {
      const answer = await rawHttp(service.address, bytes);
      expectProblem(status, code, {
        status: answer.status,
        contentType: answer.headers['content-type'],
        body: answer.body,
      });
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
      expect([answer.headers.connection, answer.closed]).toEqual(['close', true]);
    });

    // The router refuses these (inject reaches the same router as a socket does).
    it('a malformed percent-encoding in the path is 400 bad_url', async () => {
      for (const url of [`${get}/%zz`, `${get}%`, `${get}?x=1`.replace('?', '%E0%A4%A?')]) {
        const res = await service.inject({ method: 'GET', url });
        expectProblem(400, 'bad_url', {
          status: res.statusCode,
          contentType: res.headers['content-type'],
          body: res.body,
        });
      }
    });

    it('a request target over 8 KiB is 414 uri_too_long', async () => {
      const res = await service.inject({ method: 'GET', url: `${get}?q=${'u'.repeat(9_000)}` });
      expectProblem(414, 'uri_too_long', {
        status: res.statusCode,
        contentType: res.headers['content-type'],
        body: res.body,
      });
      expect(res.body).not.toContain('uuuuuuuu');
    });

    if (harness.paramRoute) {
      const route = harness.paramRoute;
      it('an over-long path parameter is 414 uri_too_long', async () => {
        const res = await service.inject({ method: 'GET', url: route.replace('{param}', 'x'.repeat(500)) });
        expectProblem(414, 'uri_too_long', {
          status: res.statusCode,
          contentType: res.headers['content-type'],
          body: res.body,
        });
      });
    }

    it('an undeclared method on a known path is 405 with Allow', async () => {
      const { method, url, allow } = harness.methodNotAllowed;
      const res = await service.inject({ method, url });
      const problem = expectProblem(405, 'method_not_allowed', {
        status: res.statusCode,
        contentType: res.headers['content-type'],
        body: res.body,
      });
      expect(res.headers.allow).toBe(allow.join(', '));
      expect(problem.allowed).toEqual(allow);
    });

    it('an unknown path is still 404 not_found', async () => {
      const res = await service.inject({ method: 'GET', url: '/no-such-path-anywhere' });
      expectProblem(404, 'not_found', {
        status: res.statusCode,
        contentType: res.headers['content-type'],
        body: res.body,
      });
    });

    const bodies: [string, InjectRequest | undefined, number, string][] = [
      ['a body over the limit', harness.body?.tooLarge, 413, 'payload_too_large'],
      ['an unsupported media type', harness.body?.unsupportedMediaType, 415, 'unsupported_media_type'],
      ['invalid JSON', harness.body?.invalidJson, 400, 'invalid_json'],
    ];
    for (const [what, request, status, code] of bodies) {
      if (!request) continue;
      it(`${what} is ${status} ${code}`, async () => {
        const res = await service.inject({ ...request, headers: { ...service.headers, ...request.headers } });
        expectProblem(status, code, {
          status: res.statusCode,
          contentType: res.headers['content-type'],
          body: res.body,
        });
      });
    }

    const big = harness.body?.tooLarge;
    it.runIf(big)('a body over the limit on a socket is 413 and the connection is closed', async () => {
      if (!big) return;
      const payload = typeof big.payload === 'string' ? big.payload : (big.payload?.toString('latin1') ?? '');
      const headers = Object.entries({ 'content-type': 'application/json', ...service.headers, ...big.headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const answer = await rawHttp(
        service.address,
        `${big.method} ${big.url} HTTP/1.1\r\nHost: a\r\n${headers}Content-Length: ${Buffer.byteLength(payload, 'latin1')}\r\n\r\n${payload}`,
      );
      expectProblem(413, 'payload_too_large', {
        status: answer.status,
        contentType: answer.headers['content-type'],
        body: answer.body,
      });
      expect(answer.closed).toBe(true);
    });

    it.runIf(big)(
      'Expect: 100-continue with a Content-Length over the limit is 413 without inviting the body',
      async () => {
        if (!big) return;
        const headers = Object.entries({ 'content-type': 'application/json', ...service.headers, ...big.headers })
          .filter(([k]) => k.toLowerCase() !== 'content-length')
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        // Only the head is sent: a server that answers `100 Continue` first is asking for 10 MB it will refuse.
        const answer = await rawHttp(
          service.address,
          `${big.method} ${big.url} HTTP/1.1\r\nHost: a\r\n${headers}Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n`,
        );
        expectProblem(413, 'payload_too_large', {
          status: answer.status,
          contentType: answer.headers['content-type'],
          body: answer.body,
        });
        expect(answer.body).not.toContain('100 Continue');
      },
    );
  });
}
