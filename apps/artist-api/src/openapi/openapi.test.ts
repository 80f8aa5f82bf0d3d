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

  it('lists on every operation what @single/http answers before any handler, and what a PATCH needs', async () => {
    const doc = JSON.parse(await generateOpenApi());
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, never>));
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations as {
      requestBody?: unknown;
      responses: Record<string, { content?: Record<string, unknown> }>;
    }[]) {
      const statuses = Object.keys(operation.responses);
      expect(statuses).toEqual(expect.arrayContaining(['405', '414', '431', '503']));
      if (operation.requestBody) expect(statuses).toEqual(expect.arrayContaining(['413', '415']));
      expect(operation.responses['414']?.content?.['application/problem+json']).toBeDefined();
    }
    const me = doc.paths['/v1/me'].get.responses;
    expect(Object.keys(me['405'].headers)).toEqual(['Allow']);
    expect(Object.keys(me['503'].headers)).toEqual(['Retry-After']);
    const mappingPatch = doc.paths['/v1/product-mappings/{id}'].patch.requestBody.content['application/json'].schema;
    expect(mappingPatch.minProperties).toBe(1);
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
