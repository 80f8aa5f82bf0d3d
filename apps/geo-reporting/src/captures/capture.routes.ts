import { normalizeIP } from '@fastify/rate-limit';
import type { ClientIpResult } from '@single/trusted-proxy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CaptureBody, captureBodySchema } from './capture.schemas.ts';
import { type CaptureService, forwardingHeaderLines } from './capture.service.ts';

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
  const resolutions = new WeakMap<FastifyRequest, ClientIpResult>();
  const resolve = (request: FastifyRequest): ClientIpResult => {
    let resolved = resolutions.get(request);
    if (resolved === undefined) {
      // The raw socket peer and the raw header lines: never request.ip, never fastify's trustProxy.
      resolved = options.service.resolve({
        remoteAddress: request.raw.socket.remoteAddress,
        headers: forwardingHeaderLines(request.raw.rawHeaders),
      });
      resolutions.set(request, resolved);
    }
    return resolved;
  };

  app.register(async (scope) => {
    // navigator.sendBeacon posts text/plain (no CORS preflight): parse it as JSON too.
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

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
              return clientIp !== null ? `ip:${normalizeIP(clientIp, 64)}` : `peer:${chain[0] ?? 'unknown'}`;
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
