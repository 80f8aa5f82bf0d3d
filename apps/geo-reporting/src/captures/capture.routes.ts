import { ProblemError } from '@single/http';
import { type ClientIpResult, parseIPv6 } from '@single/trusted-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { type CaptureBody, captureBodySchema } from './capture.schemas.ts';
import { type CaptureService, forwardingHeaderLines } from './capture.service.ts';
import { ClientRateLimiter } from './client-rate-limiter.ts';

/** Rate-limit key of a client: an IPv4 address as is, an IPv6 address as its /64 (one subscriber's prefix). */
export function rateLimitKey(clientIp: string): string {
  if (!clientIp.includes(':')) return clientIp;
  const groups = parseIPv6(clientIp);
  return groups === null
    ? clientIp
    : `${groups[0]!.toString(16)}:${groups[1]!.toString(16)}:${groups[2]!.toString(16)}:${groups[3]!.toString(16)}::/64`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address resolved by @single/trusted-proxy (capture routes only). */
    clientAddress: ClientIpResult | null;
  }
}

export interface CaptureRouteOptions {
  service: CaptureService;
  /** Captures per client per window (token bucket, in process: per replica). */
  rateLimit: { max: number; windowMs: number };
}

// The beacon is cross-origin (checkout domain -> our API); the capture itself says nothing worth protecting.
const PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '86400',
};

export function registerCaptureRoutes(app: FastifyInstance, options: CaptureRouteOptions) {
  // Resolved once per request, in the rate limiter's hook (onRequest), and reused by the handler.
  // A request decoration (not a WeakMap: ephemerons make every garbage collection dearer under load).
  app.decorateRequest('clientAddress', null);
  const resolve = (request: FastifyRequest): ClientIpResult => {
    let resolved = request.clientAddress;
    if (resolved === null) {
      // The raw socket peer and the raw header lines: never request.ip, never fastify's trustProxy.
      resolved = options.service.resolve({
        remoteAddress: request.raw.socket.remoteAddress,
        headers: forwardingHeaderLines(request.raw.rawHeaders),
      });
      request.clientAddress = resolved;
    }
    return resolved;
  };

  // A route hook on an in-process token bucket rather than @fastify/rate-limit: the same per-client limit
  // for a fraction of the per-request cost (the capture route is the platform's busiest).
  const limiter = new ClientRateLimiter({ max: options.rateLimit.max, windowMs: options.rateLimit.windowMs });
  const limitClient = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const resolved = resolve(request);
    const { clientIp, chain } = resolved;
    // Per fan: the resolved client (an IPv6 fan owns a whole /64). Without one (our proxies lost the
    // header), per socket peer, so the flagged traffic is still bounded. No address starts with "peer:".
    const waitSeconds = limiter.take(clientIp !== null ? rateLimitKey(clientIp) : `peer:${chain[0] ?? 'unknown'}`);
    // Counted whatever the limiter said, refused ones included: the header-stripping alarm sees them all.
    options.service.observe(resolved, waitSeconds !== 0);
    if (waitSeconds === 0) {
      done();
      return;
    }
    done(
      new ProblemError(429, 'rate_limited', 'Too many requests', {
        detail: `retry in ${waitSeconds} s`,
        headers: { 'retry-after': String(waitSeconds) },
      }),
    );
  };

  app.register(async (scope) => {
    // navigator.sendBeacon posts text/plain (no CORS preflight): parse it with fastify's own JSON parser
    // (prototype-poisoning protection included).
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));

    scope.options('/v1/geo/captures', async (_request, reply) => reply.code(204).headers(PREFLIGHT).send());

    scope.post<{ Body: CaptureBody }>(
      '/v1/geo/captures',
      {
        bodyLimit: 1024,
        schema: { body: captureBodySchema },
        onRequest: limitClient,
      },
      // Not async: answered from the store's own promise (the capture is durable when it settles), without
      // an async frame and a second promise on every capture.
      (request, reply) => {
        options.service.capture(request.body, resolve(request)).then(
          () => reply.code(204).header('access-control-allow-origin', '*').send(),
          (error: unknown) => reply.send(error),
        );
      },
    );
  });
}
