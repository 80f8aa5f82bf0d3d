import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, api } from '../web/api.ts';

// The web app's fetch helper against a real HTTP server answering as a proxy in front of the BFF does when the
// BFF is down: an HTML or plain-text error page, not problem+json.
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/html-502') {
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>');
    } else if (request.url === '/text-504') {
      response.writeHead(504, { 'content-type': 'text/plain' }).end('Gateway Timeout');
    } else if (request.url === '/problem') {
      response
        .writeHead(504, { 'content-type': 'application/problem+json' })
        .end(
          JSON.stringify({ title: 'The artist API did not answer in time', status: 504, code: 'artist_api_timeout' }),
        );
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not the API</html>');
    }
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => void server?.close());

const failure = (url: string) =>
  api(`${base}${url}`).then(
    () => undefined,
    (error: unknown) => error,
  );

describe('api() on answers that are not JSON', () => {
  it('an HTML or plain-text error page is an ApiError with its status, not a JSON syntax error', async () => {
    const html = await failure('/html-502');
    expect(html).toBeInstanceOf(ApiError);
    expect((html as ApiError).status).toBe(502);
    const text = await failure('/text-504');
    expect(text).toBeInstanceOf(ApiError);
    expect((text as ApiError).status).toBe(504);
  });

  it('a problem keeps its code, and a 200 that is not JSON is an ApiError too', async () => {
    const problem = await failure('/problem');
    expect((problem as ApiError).code).toBe('artist_api_timeout');
    const odd = await failure('/ok-html');
    expect(odd).toBeInstanceOf(ApiError);
    expect((odd as ApiError).code).toBe('unexpected_answer');
  });
});
