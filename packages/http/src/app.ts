import { randomUUID } from 'node:crypto';
import underPressure from '@fastify/under-pressure';
import type { Logger } from '@single/logger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { trackAllowedMethods } from './allowed-methods.ts';
import { clientErrorHandler, refuseConnect } from './client-error.ts';
import { frameworkErrors, registerErrorHandling } from './errors.ts';
import { handleExpectations, hostProblem } from './expectations.ts';
import { type HealthState, type ReadinessCheck, registerHealthRoutes } from './health.ts';
import { PROBLEM_CONTENT_TYPE, ProblemError } from './problem.ts';

export interface HttpAppOptions {
  logger: Logger;
  readiness?: readonly ReadinessCheck[];
  bodyLimit?: number;
  /** Longest request target (path and query) answered; longer is 414. Node's own limit (16 KiB of
   * request line and headers together) answers 431 or 414 before this. Default 8 KiB. */
  maxUrlLength?: number;
  /** Load shedding: above these, requests get 503 + Retry-After instead of queueing until timeouts. */
  pressure?: { maxEventLoopDelayMs?: number; maxEventLoopUtilization?: number; retryAfterSeconds?: number };
  /**
   * Our ingress proxy (Traefik) in front of the app, e.g. `compileTrustedProxies(config.TRUSTED_PROXIES)`: when the
   * socket peer (the one hop to the app, never an address further down a forwarding header) is in it,
   * `request.protocol` and `request.host` follow its X-Forwarded-Proto / X-Forwarded-Host. TLS ends before the pod,
   * so this is how a Secure cookie knows the browser's connection was https. Default: no proxy trusted.
   */
  trustedProxies?: { has(address: string): boolean };
  fastify?: Omit<FastifyServerOptions, 'logger' | 'loggerInstance' | 'trustProxy'>;
}

export interface HttpApp {
  app: FastifyInstance;
  /** Flip before closing so readiness answers 503 and load balancers stop sending traffic. */
  health: HealthState;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function trustIngressHop(
  trusted: HttpAppOptions['trustedProxies'],
): false | ((address: string, hop: number) => boolean) {
  if (!trusted) return false;
  return (address, hop) => hop === 0 && trusted.has(address);
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Only the ingress hop (hop 0, the socket peer) is ever trusted, and only when it is one of our proxies; client
    // IPs further down X-Forwarded-For are resolved by @single/trusted-proxy where needed.
    trustProxy: trustIngressHop(options.trustedProxies),
    requestIdHeader: false, // genReqId validates the incoming id instead of trusting it
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // One line per request (below) instead of fastify's two; health probes are not logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Every error is problem+json, also those raised before a request reaches a route: by Node's parser
    // (clientError), by the router (frameworkErrors) and while closing (the hook below, not fastify's
    // own JSON 503).
    clientErrorHandler: clientErrorHandler(options.logger),
    frameworkErrors,
    return503OnClosing: false,
    ...(options.fastify as object),
    // Node's own check answers an empty 400: hostProblem (below) answers problem+json instead.
    http: { ...(options.fastify as { http?: object } | undefined)?.http, requireHostHeader: false },
  }) as unknown as FastifyInstance;
  const health: HealthState = { shuttingDown: false };
  const allowed = trackAllowedMethods(app);
  app.server.on('connect', refuseConnect(options.logger));
  handleExpectations(app.server, options.logger);

  const maxUrlLength = options.maxUrlLength ?? 8 * 1024;
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, _reply, done) => {
    const badHost = hostProblem(request.raw);
    if (badHost) done(badHost);
    else if (closing) {
      // A request on a kept-alive connection after close() began: the client retries elsewhere.
      done(
        new ProblemError(503, 'shutting_down', 'Shutting down', {
          headers: { 'retry-after': '1', connection: 'close' },
        }),
      );
    } else if ((request.raw.url?.length ?? 0) > maxUrlLength) {
      done(new ProblemError(414, 'uri_too_long', 'URI too long', { detail: `longer than ${maxUrlLength} characters` }));
    } else done();
  });

  // Callback hooks, not async ones: each async hook costs a promise and a microtask on every request.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (options.logger.isLevelEnabled('info') && !request.url.startsWith('/health/')) {
      request.log.info(
        {
          method: request.method,
          route: request.routeOptions.url,
          statusCode: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
  registerErrorHandling(app, allowed);
  app.register(underPressure, {
    maxEventLoopDelay: options.pressure?.maxEventLoopDelayMs ?? 1_000,
    // Utilisation alone is off by default: a busy loop that still answers in time is working, not overloaded.
    maxEventLoopUtilization: options.pressure?.maxEventLoopUtilization ?? 0,
    retryAfter: options.pressure?.retryAfterSeconds ?? 5,
    exposeStatusRoute: false,
    pressureHandler: (_request, reply, type, value) => {
      reply
        .code(503)
        .header('retry-after', String(options.pressure?.retryAfterSeconds ?? 5))
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: 'https://docs.single.example/problems/overloaded',
          title: 'Service overloaded',
          status: 503,
          code: 'overloaded',
          detail: `${type}: ${value}`,
        });
    },
  });
  registerHealthRoutes(app, options.readiness ?? [], health);
  return { app, health };
}
