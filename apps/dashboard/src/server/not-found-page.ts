import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The built app's stylesheets (Vite's assets/*.css), so the page looks like the app; none without a built app. */
function stylesheets(webRoot: string | undefined): string[] {
  if (!webRoot) return [];
  try {
    return readdirSync(path.join(webRoot, 'assets'))
      .filter((name) => name.endsWith('.css'))
      .map((name) => `/assets/${name}`);
  } catch {
    return [];
  }
}

/** A browser (text/html preferred to problem+json by its Accept) rather than an API client or `*\/*`. */
const wantsHtml = (request: FastifyRequest) =>
  new Negotiator(request.raw).mediaType(['application/problem+json', 'application/json', 'text/html']) === 'text/html';

/**
 * An unknown path asked for by a browser gets a page with a way home instead of @single/http's problem+json,
 * which API clients (and `Accept: *\/*`) keep. GET only: a browser navigates by GET; other methods keep the
 * problem (and its 405 where the path takes other methods).
 */
export function registerNotFoundPage(app: FastifyInstance, webRoot: string | undefined) {
  const head = stylesheets(webRoot)
    .map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`)
    .join('');
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404 || request.method !== 'GET' || !wantsHtml(request)) return done();
    request.log.info({ code: 'not_found' }, 'page not found');
    const where = escapeHtml(request.url.split('?')[0] ?? '/');
    void reply
      .code(404)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
          `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">` +
          `<title>Page not found · Single dashboard</title>${head}</head><body><main>` +
          `<h1>Page not found</h1><div class="error" role="alert"><p>There is no page at <code>${where}</code>.</p></div>` +
          `<p><a href="/">Go to the overview</a></p></main></body></html>`,
      );
  });
}
