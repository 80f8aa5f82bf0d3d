import { countResponses, createHttpApp, type HttpApp, type ReadinessCheck } from '@single/http';
import type { Logger } from '@single/logger';
import type { HeaderSource, TrustedProxies } from '@single/trusted-proxy';
import { activeKeyScopes } from './auth/api-key-scopes.ts';
import { registerReportAuth } from './auth/authenticate.ts';
import { serviceTokenDigests } from './auth/service-tokens.ts';
import { registerCaptureRoutes } from './captures/capture.routes.ts';
import { CaptureService, type CaptureStore } from './captures/capture.service.ts';
import type { GeoIp } from './geoip/geoip.ts';
import { registerIntegrityRoutes } from './integrity/integrity.routes.ts';
import type { IntegrityWindow } from './integrity/integrity-window.ts';
import type { Metrics } from './integrity/metrics.ts';
import { type ReportRouteOptions, registerReportRoutes } from './reports/report.routes.ts';

export interface GeoReportingDeps {
  logger: Logger;
  geo: GeoIp;
  trusted: TrustedProxies;
  headerSource: HeaderSource;
  captureStore: CaptureStore;
  integrity: IntegrityWindow;
  metrics: Metrics;
  attribution: string;
  /** Captures per client IP per window (an in-process token bucket on the capture route). */
  rateLimit: { max: number; windowMs: number };
  /** GEO_REPORTS_TOKENS: service tokens that open every route but the capture (besides an ops-scoped API key). */
  serviceTokens?: readonly string[];
  /** Reports read Postgres; left out, only the capture side is served (HTTP-layer tests). */
  reports?: Omit<ReportRouteOptions, 'attribution'>;
  readiness?: readonly ReadinessCheck[];
  now?: () => Date;
}

export interface GeoReportingApp extends HttpApp {
  captures: CaptureService;
  integrity: IntegrityWindow;
  metrics: Metrics;
}

/** Builds the geo-reporting HTTP app; never listens and starts nothing (main.ts does). */
export function buildApp(deps: GeoReportingDeps): GeoReportingApp {
  const http = createHttpApp({ logger: deps.logger, readiness: deps.readiness ?? [] });
  countResponses(http.app, deps.metrics.registry);
  const captures = new CaptureService({
    trusted: deps.trusted,
    headerSource: deps.headerSource,
    geo: deps.geo,
    store: deps.captureStore,
    integrity: deps.integrity,
    metrics: deps.metrics,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  // The one public route: the checkout beacon (and its CORS preflight). The health endpoints are @single/http's.
  http.app.register(async (app) => {
    registerCaptureRoutes(app, { service: captures, rateLimit: deps.rateLimit });
  });
  // Everything else names every label's sales or our operations: a service token or an ops-scoped API key,
  // checked here whatever the ingress routes (the public IngressRoute only routes the capture path).
  http.app.register(async (app) => {
    const db = deps.reports?.db;
    registerReportAuth(app, {
      serviceTokens: serviceTokenDigests(deps.serviceTokens ?? []),
      ...(db ? { keyScopes: (secret: string) => activeKeyScopes(db, secret) } : {}),
    });
    registerIntegrityRoutes(app, {
      integrity: deps.integrity,
      metrics: deps.metrics,
      geo: deps.geo,
      attribution: deps.attribution,
    });
    if (deps.reports) registerReportRoutes(app, { ...deps.reports, attribution: deps.attribution });
  });
  return { ...http, captures, integrity: deps.integrity, metrics: deps.metrics };
}
