import type { ClientIpResult } from '@single/trusted-proxy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CaptureBody, captureBodySchema } from './capture.schemas.ts';
import { type CaptureService, forwardingHeaderLines } from './capture.service.ts';

/**
 * Rate-limit key of a client: an IPv4 address as is, an IPv6 address as its /64 (one subscriber's prefix).
 * Input is trusted-proxy's canonical text (lower case, compressed), so expanding the first four groups is enough.
 */
export function rateLimitKey(clientIp: string): string {
  if (!clientIp.includes(':')) return clientIp;
  const [head = '', tail] = clientIp.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).join(':')}::/64`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address resolved by @single/trusted-proxy (capture routes only). */
    clientAddress: ClientIpResult | null;
  }
}

export interface CaptureRouteOptions {
  service: CaptureService;
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
  // Resolved once per request, in the rate limiter's key generator (onRequest), and reused by the handler.
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
        config: {
          rateLimit: {
            max: options.rateLimit.max,
            timeWindow: options.rateLimit.windowMs,
            // Per fan: the resolved client (an IPv6 fan owns a whole /64). Without one (our proxies lost the
            // header), per socket peer, so the flagged traffic is still bounded.
            keyGenerator: (request: FastifyRequest) => {
              const { clientIp, chain } = resolve(request);
              return clientIp !== null ? `ip:${rateLimitKey(clientIp)}` : `peer:${chain[0] ?? 'unknown'}`;
            },
          },
        },
      },
      async (request, reply) => {
        await options.service.capture(request.body, resolve(request));
        return reply.code(204).header('access-control-allow-origin', '*').send();
      },
    );
  });
}
