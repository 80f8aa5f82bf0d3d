import fastifyProxy from '@fastify/http-proxy';
import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

/** Longest wait for the artist API's answer (its headers, then each gap in its body) by default. */
export const ARTIST_API_TIMEOUT_MS = 10_000;

// @fastify/reply-from's errors for an answer that never came in time (headers, body, connect).
const TIMEOUT_CODES = new Set([
  'FST_REPLY_FROM_GATEWAY_TIMEOUT',
  'FST_REPLY_FROM_TIMEOUT',
  'FST_REPLY_FROM_HTTP_REQUEST_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The proxy's failures as the BFF's own problems: the artist API down or slow is not the dashboard's database. */
export function upstreamProblem(error: { code?: string; cause?: unknown }): ProblemError {
  const cause = error.cause as { code?: string } | undefined;
  if (TIMEOUT_CODES.has(error.code ?? '') || TIMEOUT_CODES.has(cause?.code ?? '')) {
    return new ProblemError(504, 'artist_api_timeout', 'The artist API did not answer in time', {
      headers: { 'retry-after': '5' },
    });
  }
  return new ProblemError(502, 'artist_api_unreachable', 'The artist API could not be reached', {
    headers: { 'retry-after': '5' },
  });
}

/**
 * /api/* -> the artist API's /v1/*, with the session's key as the bearer token; the browser never holds it.
 * The artist API refusing that key (401: revoked or expired since sign-in) ends the session, so the app
 * shows the sign-in form instead of failing on every page.
 */
export function registerApiProxy(
  scope: FastifyInstance,
  options: { artistApiUrl: string; checkCsrf: Hook; timeoutMs?: number },
) {
  scope.register(fastifyProxy, {
    upstream: options.artistApiUrl,
    prefix: '/api',
    rewritePrefix: '/v1',
    preHandler: (request, reply, done) => {
      if (!request.session.apiKey) {
        return done(new ProblemError(401, 'not_signed_in', 'Sign in first') as unknown as Error);
      }
      options.checkCsrf(request, reply, done);
    },
    replyOptions: {
      timeout: options.timeoutMs ?? ARTIST_API_TIMEOUT_MS,
      // No retries: reply-from would otherwise retry a GET answered 503 up to ten times, after its Retry-After.
      retryDelay: () => null,
      rewriteRequestHeaders: (request, headers) => {
        const { cookie: _cookie, 'x-csrf-token': _csrf, ...rest } = headers;
        return { ...rest, authorization: `Bearer ${request.session.apiKey}` };
      },
      onError: (reply, { error }) => {
        reply.request.log.warn({ code: (error as { code?: string }).code }, 'artist API not answering');
        reply.send(upstreamProblem(error as { code?: string; cause?: unknown }));
      },
      onResponse: (request, reply, res) => {
        if (res.statusCode !== 401) return void reply.send(res.stream);
        res.stream.resume(); // the artist API's refusal is not passed on: drain it
        // The upstream's headers were copied onto the reply already; the problem below brings its own.
        for (const name of Object.keys(reply.getHeaders())) {
          if (name !== 'x-request-id') reply.removeHeader(name);
        }
        request.session.destroy().then(
          () => {
            reply.clearCookie('single_dashboard', { path: '/' });
            reply.send(
              new ProblemError(401, 'not_signed_in', 'Sign in again', {
                detail: 'the API key of this session is no longer accepted',
              }),
            );
          },
          (err: unknown) => reply.send(err),
        );
      },
    },
  });
}
