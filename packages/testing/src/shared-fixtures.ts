import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The test fixtures every package shares (Shopify webhook bodies, MaxMind's GeoIP test databases with their
 * licence), kept in this package so that a clone of the repository alone has everything its tests read.
 * Resolved from this file, so it holds for the source (vitest) and for `dist/` alike.
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The absolute path of a fixture: `sharedFixture('shopify/orders-paid.json')`. */
export function sharedFixture(path: string): string {
  return join(FIXTURES_DIR, path);
}
