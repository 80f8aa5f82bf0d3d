import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';

/**
 * Which methods a path answers, for 405 + `Allow` (RFC 9110 15.5.6) instead of fastify's 404.
 * fastify keeps one router tree per method and does not say which other methods match a path, so every
 * route is also recorded here, in a router of the same library with the same matching options, and
 * asked only when a request found no route.
 */
export interface AllowedMethods {
  /** Methods that have a route for `url` (HEAD with GET), sorted; empty when none does. */
  of(url: string): string[];
}

const noop = () => {};

export function trackAllowedMethods(app: FastifyInstance): AllowedMethods {
  const config = app.initialConfig;
  const router = FindMyWay({
    caseSensitive: config.caseSensitive ?? true,
    ignoreTrailingSlash: config.ignoreTrailingSlash ?? false,
    ignoreDuplicateSlashes: config.ignoreDuplicateSlashes ?? false,
    // Only which routes match matters here; a too-long parameter is fastify's router's to refuse.
    maxParamLength: Number.MAX_SAFE_INTEGER,
  });
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      try {
        router.on(method as never, route.url ?? route.path, noop);
        methods.add(method);
      } catch {
        // Already recorded (a route of the same path under another constraint); one entry suffices.
      }
    }
  });
  return {
    of(url) {
      const allowed = new Set<string>();
      for (const method of methods) {
        // find() answers null, or its onBadUrl result for a malformed path: only a handler counts.
        const found = router.find(method as never, url) as { handler?: unknown } | null;
        if (found?.handler) allowed.add(method);
      }
      if (allowed.has('GET')) allowed.add('HEAD');
      return [...allowed].sort();
    },
  };
}
