import { serve } from '@single/http';
import { createLogger } from '@single/logger';
import { traceLogFields } from '@single/tracing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import { Redis } from 'ioredis';
import { buildApp, defaultWebRoot } from './app.ts';
import { loadDashboardConfig, secureCookies } from './config.ts';
import { redisKeyValue } from './sealed-store.ts';

const config = loadDashboardConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, service: 'dashboard', mixin: traceLogFields });
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, commandTimeout: 1_000 });
redis.on('error', (err) => logger.warn({ err }, 'session store unreachable'));

// TLS ends at the load balancer: the session cookie is Secure, so the BFF must learn https from our ingress.
const trustedProxies = compileTrustedProxies(config.TRUSTED_PROXIES);
for (const warning of trustedProxies.warnings) logger.warn(warning);

const http = buildApp({
  logger,
  trustedProxies,
  store: redisKeyValue(redis),
  artistApiUrl: config.ARTIST_API_URL,
  sessionSecret: config.SESSION_SECRET,
  sessionTtlSeconds: config.SESSION_TTL_SECONDS,
  secureCookies: secureCookies(config.PUBLIC_BASE_URL),
  shopifyShopOriginTemplate: config.SHOPIFY_SHOP_ORIGIN_TEMPLATE,
  webRoot: config.WEB_ROOT ?? defaultWebRoot(),
  readiness: [{ name: 'redis', check: async () => void (await redis.ping()) }],
});

await serve(http, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onClose: [async () => void redis.disconnect()],
});
