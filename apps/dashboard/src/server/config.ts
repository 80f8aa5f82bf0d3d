import { type EnvSource, loadConfigOrExit, loggingEnv, redisEnv, serverEnv, trustedProxiesEnv } from '@single/config';
import { z } from 'zod';

export const dashboardEnv = {
  ...serverEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3005),
  ...loggingEnv,
  ...redisEnv,
  /** Our ingress (Traefik's pods): only from these peers is X-Forwarded-Proto believed (the Secure cookie needs it). */
  ...trustedProxiesEnv,
  /** The artist API the backend-for-frontend proxies `/api/*` to (as `/v1/*`). */
  ARTIST_API_URL: z.url().default('http://127.0.0.1:3003'),
  /** Where browsers reach the dashboard; an https origin (anything but localhost) makes the cookie Secure. */
  PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:3005'),
  /** Signs the session cookie (the session id); at least 32 characters. Rotate by restarting with a new one. */
  SESSION_SECRET: z.string().min(32),
  /** A session ends this long after its last request. */
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(28_800),
  /** Where a shop's authorization page lives: the BFF follows an install URL only there (a fake Shopify in tests). */
  SHOPIFY_SHOP_ORIGIN_TEMPLATE: z.string().includes('{shop}').default('https://{shop}'),
  /** The built web app (vite build output). */
  WEB_ROOT: z.string().min(1).optional(),
};

export type DashboardConfig = ReturnType<typeof loadDashboardConfig>;

export function loadDashboardConfig(env: EnvSource) {
  return loadConfigOrExit(dashboardEnv, env);
}

/** Secure cookies everywhere but a plain-http localhost (the demo and the browser tests). */
export function secureCookies(publicBaseUrl: string): boolean {
  const url = new URL(publicBaseUrl);
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return url.protocol === 'https:' || !local;
}
