import { createMemoryCache } from '@single/cache';
import { silentLogger } from '@single/logger';
import { compileTrustedProxies } from '@single/trusted-proxy';
import pg from 'pg';
import { buildApp } from '../app.ts';
import { localAudioStorage } from '../downloads/storage.ts';

/** Where the committed document lives; CI compares it with a fresh generation (openapi.test.ts). */
export const OPENAPI_FILE = new URL('../../openapi.json', import.meta.url);

/**
 * The OpenAPI 3.1 document generated from the route schemas, as committed: pretty JSON plus a newline.
 * The app is built on idle dependencies (a pool that never connects, an in-memory cache).
 */
export async function generateOpenApi(): Promise<string> {
  const { api, close } = await buildIdleApp();
  try {
    return `${JSON.stringify(api.app.swagger(), null, 2)}\n`;
  } finally {
    await close();
  }
}

/** The app on dependencies that are never used: for the document and the docs pages. */
export async function buildIdleApp() {
  const pool = new pg.Pool({ connectionString: 'postgres://openapi@127.0.0.1:1/none' });
  const cache = createMemoryCache();
  const api = buildApp({
    logger: silentLogger(),
    pool,
    cache,
    storage: localAudioStorage('.'),
    trustedProxies: compileTrustedProxies([]),
  });
  await api.app.ready();
  return {
    api,
    async close() {
      await api.app.close();
      await cache.close();
      await pool.end();
    },
  };
}
