import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from './app.ts';
import { testSessions } from './testing/test-sessions.ts';

// An unknown path: a browser gets an HTML page with a link home (in the app's stylesheet); API clients keep
// problem+json. On the built app (pnpm --filter @single/dashboard build), as the demo and the image serve it.
const WEB_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const sessions = testSessions();
let app: Dashboard['app'];

beforeAll(async () => {
  // Nothing here reaches the artist API: a closed port.
  app = sessions.build({ artistApiUrl: 'http://127.0.0.1:9', webRoot: WEB_ROOT }).app;
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await sessions.close();
});

describe('an unknown dashboard path', () => {
  it('answers a browser with an HTML 404 page linking home, styled by the app', async () => {
    const res = await app.inject({ url: '/no-such-page?x=1', headers: { accept: BROWSER } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.body).toContain('<h1>Page not found</h1>');
    expect(res.body).toContain('<a href="/">Go to the overview</a>');
    expect(res.body).toContain('<code>/no-such-page</code>');
    const stylesheet = /<link rel="stylesheet" href="(\/assets\/[^"]+\.css)">/.exec(res.body)?.[1];
    expect(stylesheet).toBeDefined();
    const css = await app.inject({ url: stylesheet!, headers: { accept: 'text/css,*/*;q=0.1' } });
    expect(css.statusCode).toBe(200);
    expect(css.body).toContain('.error');
  });

  it('writes the path as text, never as markup', async () => {
    const res = await app.inject({ url: '/x"><img src=x onerror=alert(1)>', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<img');
    expect(res.body).toContain('<code>/x%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E</code>'); // as the client encoded it
    // & and ' may stand unencoded in a path: escaped in the page.
    const raw = await app.inject({ url: "/it's&more", headers: { accept: 'text/html' } });
    expect(raw.body).toContain('<code>/it&#39;s&#38;more</code>');
  });

  it('keeps problem+json for API clients, other methods and missing assets', async () => {
    for (const [method, url, accept] of [
      ['GET', '/no-such-page', 'application/json'],
      ['GET', '/no-such-page', '*/*'],
      ['GET', '/no-such-page', undefined],
      ['GET', '/no-such-page', 'application/problem+json, text/html;q=0.5'],
      ['POST', '/no-such-page', BROWSER],
      ['GET', '/assets/missing-0000.js', '*/*'],
    ] as const) {
      const res = await app.inject({ method, url, headers: accept ? { accept } : {} });
      expect([method, url, accept, res.statusCode]).toEqual([method, url, accept, 404]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, code: 'not_found' });
    }
  });

  it("leaves the app's pages and API routes alone", async () => {
    const page = await app.inject({ url: '/territories', headers: { accept: BROWSER } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root"></div>');
    const api = await app.inject({ url: '/api/me', headers: { accept: BROWSER } });
    expect(api.statusCode).toBe(401);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
