import { createRedisCache } from '@single/cache';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { redactUrl } from './server-errors.ts';

/**
 * The runtime maintenance switch of the webhook dispatcher: it reads this cache key (through its Redis
 * cache, prefix `dispatcher:`) at most once a second and answers 503 while the value is `on`. Keep both
 * in step with apps/webhook-dispatcher/src/{runtime,maintenance}.ts; the integration test runs the real
 * dispatcher against this module.
 */
export const MAINTENANCE_SERVICES = {
  'webhook-dispatcher': { keyPrefix: 'dispatcher:', key: 'maintenance:webhook-dispatcher' },
} as const;

export type MaintenanceService = keyof typeof MAINTENANCE_SERVICES;

export function maintenanceService(name: string): MaintenanceService {
  if (!(name in MAINTENANCE_SERVICES)) {
    throw new CmdrError(
      `no runtime maintenance switch for "${name}" (known: ${Object.keys(MAINTENANCE_SERVICES).join(', ')})`,
      ExitCode.notFound,
    );
  }
  return name as MaintenanceService;
}

async function withCache<T>(
  redisUrl: string,
  service: MaintenanceService,
  work: (c: ReturnType<typeof createRedisCache>) => Promise<T>,
) {
  const cache = createRedisCache({
    url: redisUrl,
    keyPrefix: MAINTENANCE_SERVICES[service].keyPrefix,
    connectTimeoutMs: 3_000,
    commandTimeoutMs: 3_000,
  });
  try {
    return await work(cache);
  } catch (error) {
    throw new CmdrError(
      `Redis unavailable at ${redactUrl(redisUrl)}: ${(error as Error).message}`,
      ExitCode.unavailable,
    );
  } finally {
    await cache.close();
  }
}

export interface MaintenanceState {
  service: MaintenanceService;
  on: boolean;
}

/** Turns maintenance on (optionally for a bounded time, so a forgotten switch turns itself off) or off. */
export async function setMaintenance(
  redisUrl: string,
  service: MaintenanceService,
  on: boolean,
  options: { ttlMs?: number } = {},
): Promise<MaintenanceState> {
  const { key } = MAINTENANCE_SERVICES[service];
  await withCache(redisUrl, service, async (cache) => {
    if (on) await cache.set(key, 'on', options.ttlMs);
    else await cache.del(key);
  });
  return { service, on };
}

export async function getMaintenance(redisUrl: string, service: MaintenanceService): Promise<MaintenanceState> {
  const { key } = MAINTENANCE_SERVICES[service];
  const value = await withCache(redisUrl, service, (cache) => cache.get(key));
  return { service, on: value === 'on' };
}
