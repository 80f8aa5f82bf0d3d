import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildIdleApp, generateOpenApi, OPENAPI_FILE } from './generate.ts';

describe('openapi.json', () => {
  it('is up to date with the route schemas (run `pnpm --filter @single/artist-api run openapi`)', async () => {
    const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => '(missing)');
    expect(committed === (await generateOpenApi()), 'apps/artist-api/openapi.json is stale: regenerate it').toBe(true);
  });

  it('is OpenAPI 3.1 with every route, bearer security on /v1 and problem responses', async () => {
    const doc = JSON.parse(await generateOpenApi());
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/me',
        '/v1/releases',
        '/v1/releases/{id}',
        '/v1/orders/{id}',
        '/v1/sales/summary',
        '/d/{token}',
      ]),
    );
    expect(paths.some((p) => p.startsWith('/docs') || p.startsWith('/health'))).toBe(false);
    expect(doc.paths['/v1/releases'].post.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/d/{token}'].get.security).toBeUndefined();
    expect(doc.paths['/v1/releases/{id}'].get.responses['404'].content['application/problem+json']).toBeDefined();
    expect(doc.components.schemas.Release).toBeDefined();
  });

  it('serves Swagger UI at /docs from its own assets (no CDN)', async () => {
    const { api, close } = await buildIdleApp();
    try {
      const page = await api.app.inject({ url: '/docs/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toMatch(/https?:\/\/(unpkg|cdn|cdnjs)/);
      const bundle = await api.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
      expect(bundle.statusCode).toBe(200);
      expect(bundle.body.length).toBeGreaterThan(100_000);
      expect((await api.app.inject({ url: '/docs/json' })).json().openapi).toBe('3.1.0');
    } finally {
      await close();
    }
  });
});
