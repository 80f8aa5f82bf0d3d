import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from './app.ts';
import { testSessions } from './testing/test-sessions.ts';

// The build's by-products stay private: source maps are written (hidden, for an error tracker) but neither
// referenced by the scripts nor served, and bundle-size.json is the build's report, not the public's. On the
// built app (pnpm --filter @single/dashboard build), as the demo and the image serve it.
const WEB_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');
const ASSETS = path.join(WEB_ROOT, 'assets');
const sessions = testSessions();
let app: Dashboard['app'];

beforeAll(async () => {
  app = sessions.build({ artistApiUrl: 'http://127.0.0.1:9', webRoot: WEB_ROOT }).app;
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await sessions.close();
});

describe("the built app's private files", () => {
  const files = readdirSync(ASSETS);
  const maps = files.filter((f) => f.endsWith('.map'));
  const scripts = files.filter((f) => f.endsWith('.js'));

  it('answers 404 for every source map on disk and for bundle-size.json, whatever the Accept', async () => {
    expect(maps.length).toBeGreaterThan(0); // written, for upload to an error tracker
    expect(readdirSync(WEB_ROOT)).toContain('bundle-size.json');
    for (const url of [...maps.map((m) => `/assets/${m}`), '/bundle-size.json', '/assets/../bundle-size.json']) {
      for (const accept of ['*/*', 'application/json', 'text/html']) {
        const res = await app.inject({ url, headers: { accept } });
        expect([url, accept, res.statusCode]).toEqual([url, accept, 404]);
        expect(res.body).not.toContain('"mappings"');
        expect(res.body).not.toContain('gzippedBytesByPage');
      }
    }
  });

  it('serves the scripts without a sourceMappingURL to them', async () => {
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(readFileSync(path.join(ASSETS, script), 'utf8'), script).not.toContain('sourceMappingURL');
    }
    const res = await app.inject({ url: `/assets/${scripts[0]}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers.sourcemap).toBeUndefined();
    expect(res.headers['x-sourcemap']).toBeUndefined();
  });
});
