import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Cache } from '@single/cache';
import { createTenantDb, platformAccess } from '@single/db';
import { createHttpApp, createMetricsRegistry, type HttpApp, registerMetrics, warmUpBeforeTraffic } from '@single/http';
import type { Logger } from '@single/logger';
import type { Messaging } from '@single/messaging';
import type { TrustedProxies } from '@single/trusted-proxy';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { registerAccountRoutes } from './accounts/account.routes.ts';
import { registerDataRequestRoutes } from './accounts/data-requests.routes.ts';
import { ShopRepository } from './accounts/shop.repository.ts';
import { ApiKeyRepository } from './auth/api-key.repository.ts';
import { principalOf, registerAuthentication } from './auth/authenticate.ts';
import { ArtistRepository, registerArtistRoutes } from './catalogue/artists.ts';
import { ReleaseRepository } from './catalogue/releases.repository.ts';
import { registerReleaseRoutes } from './catalogue/releases.routes.ts';
import { ReleaseService } from './catalogue/releases.service.ts';
import { registerDeadLetterMetrics } from './dead-letters/dead-letter-metrics.ts';
import { registerDeadLetterRoutes } from './dead-letters/dead-letters.routes.ts';
import { registerDownloadRoute } from './downloads/download.routes.ts';
import { RedemptionService } from './downloads/redemption.service.ts';
import type { AudioStorage } from './downloads/storage.ts';
import { MappingRepository, registerMappingRoutes } from './mappings/mappings.ts';
import { OPENAPI_INFO } from './openapi/document.ts';
import { withGenericResponses } from './openapi/generic-responses.ts';
import { registerOrderSearchRoute } from './orders/order-search.routes.ts';
import { OrderRepository } from './orders/orders.repository.ts';
import { registerOrderRoutes } from './orders/orders.routes.ts';
import { registerChartFileRoutes } from './sales/chart-files.routes.ts';
import { registerChartLinesRoute } from './sales/chart-lines.routes.ts';
import { registerSalesLocationsRoute } from './sales/locations.routes.ts';
import { SalesRepository } from './sales/sales.repository.ts';
import { registerSalesRoutes } from './sales/sales.routes.ts';
import { SalesSummaryCache } from './sales/summary-cache.ts';
import { registerShopifyCallbackRoute, registerShopifyInstallRoute } from './shopify/shopify.routes.ts';
import type { ShopifyAppSettings } from './shopify/shopify-app.ts';
import { createRateLimit } from './support/rate-limits.ts';
import { rejectNulCharacters } from './support/text-guard.ts';
import { registerWebhookDeliveryRoutes } from './webhooks/deliveries.routes.ts';

/** For cmdr and the benchmark: create an account's key (the secret is returned once). */
export { issueApiKey } from './auth/api-key.repository.ts';

export interface ArtistApiLimits {
  /** Requests per minute per API key. */
  perKeyPerMinute: number;
  /** Download redemptions per minute per client IP and per token. */
  downloadsPerIpPerMinute: number;
  downloadsPerTokenPerMinute: number;
}

export interface ArtistApiDeps {
  logger: Logger;
  pool: Pool;
  /** Hot sales summaries. */
  cache: Cache;
  /** The rate-limit store; omitted = in-process (tests and the zero-setup demo only). */
  rateLimitRedis?: Redis;
  rateLimitNamespace?: string;
  storage: AudioStorage;
  trustedProxies: TrustedProxies;
  /** For the dead-letter endpoints; omitted = those endpoints answer 503. */
  messaging?: Messaging;
  deadLetterQueues?: readonly string[];
  limits?: Partial<ArtistApiLimits>;
  /** How long a counted download's file link serves (range re-requests count nothing). Default 15 min. */
  downloadFileLinkTtlMs?: number;
  salesCacheTtlMs?: number;
  /** The Shopify app (OAuth install); omitted = the install routes answer 503 `shopify_not_configured`. */
  shopify?: ShopifyAppSettings;
  now?: () => Date;
}

export interface ArtistApi extends HttpApp {
  summaries: SalesSummaryCache;
}

const DEFAULT_LIMITS: ArtistApiLimits = {
  perKeyPerMinute: 600,
  downloadsPerIpPerMinute: 30,
  downloadsPerTokenPerMinute: 10,
};

/** Builds the artist API; no listening and no background work (main.ts starts the cache invalidator). */
export function buildApp(deps: ArtistApiDeps): ArtistApi {
  const now = deps.now ?? (() => new Date());
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  // Prisma on the app's pool, with the tenant guard: routes get only the account-scoped client (accountDb).
  const db = createTenantDb(deps.pool);
  const http = createHttpApp({
    logger: deps.logger,
    bodyLimit: 256 * 1024,
    // Errors of Node's parser and fastify's router are problem+json in @single/http for every service.
    readiness: [{ name: 'postgres', check: async () => void (await db.$executeRaw`SELECT 1`) }],
  });
  const { app } = http;
  // Before swagger: like the health routes, /metrics is not part of the API's OpenAPI document.
  const metrics = createMetricsRegistry();
  registerMetrics(app, metrics);
  if (deps.messaging) registerDeadLetterMetrics(metrics, deps.messaging, deps.deadLetterQueues ?? []);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  rejectNulCharacters(app);

  app.addHook('onClose', async () => db.$disconnect());
  // Before the first request: the client's first queries instantiate its query compiler and block the event loop
  // for up to a second or two on a loaded machine, which the first requests would otherwise pay (and the overload
  // guard would then refuse the ones behind them). Reads only; any account's, before any account is known.
  app.addHook('onReady', async () =>
    warmUpBeforeTraffic(async () => {
      await db.$executeRaw`SELECT 1`;
      await platformAccess('warm-up before traffic', async () => {
        await db.apiKey.findFirst({ select: { id: true } });
        await db.order.count({ where: { shopDomain: '' } });
      });
    }, deps.logger),
  );
  const shops = new ShopRepository();
  const keys = new ApiKeyRepository(deps.pool);
  const artists = new ArtistRepository();
  const releases = new ReleaseRepository();
  const shopifyDeps = { db, settings: deps.shopify, logger: deps.logger, now };
  const summaries = new SalesSummaryCache(deps.cache, deps.logger, deps.salesCacheTtlMs ?? 300_000);

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key of the account' } },
      },
    },
    transform: withGenericResponses(createJsonSchemaTransform({ skipList: [] })),
    transformObject: createJsonSchemaTransformObject({}),
  });
  app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis } : {}),
    nameSpace: deps.rateLimitNamespace ?? 'artist-api:rl:',
  });

  app.register(
    async (v1) => {
      v1.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: [{ apiKey: [] }] } as typeof route.schema;
      });
      registerAuthentication(v1, keys, db, now);
      const perKey = createRateLimit(v1, 'key', limits.perKeyPerMinute, 60_000);
      v1.addHook('preHandler', async (request) => perKey.consume(request, principalOf(request).keyId));

      registerAccountRoutes(v1, { keys, shops, now });
      registerDataRequestRoutes(v1, { shops, now });
      registerArtistRoutes(v1, artists);
      registerReleaseRoutes(v1, releases, new ReleaseService(releases, artists));
      registerMappingRoutes(v1, new MappingRepository(), shops);
      registerOrderSearchRoute(v1, shops);
      registerOrderRoutes(v1, new OrderRepository(), shops);
      registerSalesRoutes(v1, new SalesRepository(deps.pool, db), summaries, now);
      registerSalesLocationsRoute(v1, now);
      registerChartLinesRoute(v1, now);
      registerChartFileRoutes(v1);
      registerWebhookDeliveryRoutes(v1, shops);
      registerDeadLetterRoutes(v1, { messaging: deps.messaging, queues: deps.deadLetterQueues ?? [], shops });
      registerShopifyInstallRoute(v1, shopifyDeps);
      // Authenticated too: the browser's client (the dashboard) forwards Shopify's redirect with its key.
      registerShopifyCallbackRoute(v1, shopifyDeps);
    },
    { prefix: '/v1' },
  );

  app.register(async (downloads) => {
    registerDownloadRoute(downloads, {
      redemptions: new RedemptionService(deps.pool, db, now, deps.downloadFileLinkTtlMs),
      storage: deps.storage,
      trustedProxies: deps.trustedProxies,
      perIp: createRateLimit(downloads, 'dl-ip', limits.downloadsPerIpPerMinute, 60_000),
      perToken: createRateLimit(downloads, 'dl-token', limits.downloadsPerTokenPerMinute, 60_000),
    });
  });

  return { ...http, summaries };
}
