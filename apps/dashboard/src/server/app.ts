import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifySession from '@fastify/session';
import fastifyStatic from '@fastify/static';
import {
  createHttpApp,
  createMetricsRegistry,
  type HttpApp,
  ProblemError,
  type ReadinessCheck,
  registerMetrics,
} from '@single/http';
import type { Logger } from '@single/logger';
import type { TrustedProxies } from '@single/trusted-proxy';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { registerApiProxy } from './api-proxy.ts';
import { registerAuthRoutes } from './auth.routes.ts';
import { registerConnectStoreRoute } from './connect-store.routes.ts';
import { InstallCookie } from './install-cookie.ts';
import { registerNotFoundPage } from './not-found-page.ts';
import type { KeyValueStore } from './sealed-store.ts';
import { SealedSessionStore } from './session-store.ts';
import { registerShopifyCallbackRoutes } from './shopify-callback.routes.ts';
import { SignInLinks } from './sign-in-links.ts';

declare module 'fastify' {
  interface Session {
    apiKey?: string;
    account?: { id: string; kind: string; name: string };
  }
}

export interface DashboardDeps {
  logger: Logger;
  /** Sessions and sign-in links: Redis (`redisKeyValue`), or the demo's cache port. */
  store: KeyValueStore;
  artistApiUrl: string;
  sessionSecret: string;
  sessionTtlSeconds: number;
  /** Key prefix of the sessions (tests isolate themselves by it); sign-in links use `<prefix>link:`. */
  sessionKeyPrefix?: string;
  /** How long a one-time sign-in link stays good (default 15 minutes). */
  signInLinkTtlSeconds?: number;
  /** Secure cookies: true everywhere but plain-http localhost. */
  secureCookies: boolean;
  /** Our ingress proxies (`compileTrustedProxies(TRUSTED_PROXIES)`): their X-Forwarded-Proto tells https. */
  trustedProxies?: TrustedProxies;
  /** Longest wait for the artist API through `/api/*` (default 10 s): then 504 `artist_api_timeout`. */
  artistApiTimeoutMs?: number;
  /** Where a shop's authorization page lives (`https://{shop}`; a local fake Shopify in tests). */
  shopifyShopOriginTemplate?: string;
  /** The built web app; missing = the API side only (tests of the BFF alone). */
  webRoot?: string;
  readiness?: readonly ReadinessCheck[];
}

/** Client-side routes: each answers index.html, the app then routes itself. */
export const PAGES = [
  '/',
  '/territories',
  '/releases',
  '/orders',
  '/deliveries',
  '/chart-files',
  '/shops',
  '/api-keys',
];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** dist/web beside the built server (dist/main.js, as the one Dockerfile runs it), also when run from source. */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return here.endsWith(path.join('src', 'server'))
    ? path.join(here, '..', '..', 'dist', 'web')
    : path.join(here, 'web');
}

export interface Dashboard extends HttpApp {
  /** Issues one-time sign-in links (`/auth/link/<token>`), for the process that runs the BFF (the demo). */
  signInLinks: SignInLinks;
}

export function buildApp(deps: DashboardDeps): Dashboard {
  const http = createHttpApp({
    logger: deps.logger,
    bodyLimit: 256 * 1024,
    readiness: deps.readiness ?? [],
    ...(deps.trustedProxies ? { trustedProxies: deps.trustedProxies } : {}),
  });
  const { app } = http;
  const prefix = deps.sessionKeyPrefix ?? 'dashboard:session:';
  const signInLinks = new SignInLinks({
    store: deps.store,
    prefix: `${prefix}link:`,
    ttlSeconds: deps.signInLinkTtlSeconds ?? 900,
    secret: deps.sessionSecret,
  });
  // Process metrics and answers by route and status (the proxied /api/* included), for the Datadog agent.
  registerMetrics(app, createMetricsRegistry());

  // The session id alone travels; the API key stays in the (sealed) Redis entry, and anonymous sessions have none.
  const sessionStore = new SealedSessionStore({
    store: deps.store,
    prefix,
    ttlSeconds: deps.sessionTtlSeconds,
    secret: deps.sessionSecret,
  });
  app.register(fastifyCookie);
  app.register(fastifySession, {
    secret: deps.sessionSecret,
    cookieName: 'single_dashboard',
    store: sessionStore,
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.secureCookies,
      path: '/',
      maxAge: deps.sessionTtlSeconds * 1000,
    },
  });
  app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });

  /** Every change (any unsafe method) needs the session's CSRF token in `x-csrf-token`. */
  const checkCsrf = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (SAFE_METHODS.has(request.method)) return done();
    app.csrfProtection(request, reply, done);
  };

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    );
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    done(null, payload);
  });

  app.register(async (scope) => {
    // The CSRF plugin answers with its own errors; they become this problem (the parent handler sends it).
    scope.setErrorHandler((error: FastifyError) => {
      if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
        throw new ProblemError(403, 'invalid_csrf_token', 'Missing or invalid CSRF token', {
          detail: 'send the token from GET /auth/session in the x-csrf-token header',
        });
      }
      throw error;
    });
    registerAuthRoutes(scope, {
      artistApiUrl: deps.artistApiUrl,
      checkCsrf,
      signInLinks,
      seedCsrf: (request) => sessionStore.seedCsrf(request.session),
    });
    const installCookie = new InstallCookie(deps.sessionSecret, deps.secureCookies);
    registerConnectStoreRoute(scope, {
      artistApiUrl: deps.artistApiUrl,
      checkCsrf,
      installCookie,
      ...(deps.shopifyShopOriginTemplate ? { shopOriginTemplate: deps.shopifyShopOriginTemplate } : {}),
    });
    registerShopifyCallbackRoutes(scope, { artistApiUrl: deps.artistApiUrl, installCookie });

    registerApiProxy(scope, {
      artistApiUrl: deps.artistApiUrl,
      checkCsrf,
      ...(deps.artistApiTimeoutMs ? { timeoutMs: deps.artistApiTimeoutMs } : {}),
    });
  });

  const webRoot = deps.webRoot;
  registerNotFoundPage(app, webRoot && existsSync(path.join(webRoot, 'index.html')) ? webRoot : undefined);
  if (webRoot && existsSync(path.join(webRoot, 'index.html'))) {
    app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      index: false,
      wildcard: false,
      // The build's by-products stay private: source maps (the app's source, for an error tracker) and the
      // bundle-size report. Refused here, they answer the not-found page as any unknown path.
      allowedPath: (pathName) => !isPrivateBuildFile(pathName),
    });
    app.register(async (scope) => {
      for (const page of PAGES) {
        scope.get(page, (_request, reply) =>
          reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false }),
        );
      }
    });
  }
  return Object.assign(http, { signInLinks });
}

/** A file of the built web root never served: a source map, or the build's bundle-size report. */
export const isPrivateBuildFile = (pathName: string) =>
  /\.map$/i.test(pathName) || pathName.replace(/^\/+/, '').toLowerCase() === 'bundle-size.json';
