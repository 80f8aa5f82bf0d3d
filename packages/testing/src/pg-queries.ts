import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// Issue 16: an app queries through Prisma Client; pg's `query` stays only in the hot paths ARCHITECTURE.md lists
// with their reasons. Each app's data-layer test compares the files that call it with its allow-list.

/** Not the app's runtime code: tests, their set-up, the storm. They may seed and check with pg. */
const SKIPPED_DIRS = new Set(['test-support', 'testing', 'storm', 'node_modules']);

/** A `.query(` or `.query<` call: pg's Pool, PoolClient or Client (Prisma Client has no `query`). */
const PG_QUERY = /\.query\s*[(<]/;

/** Comments, so that one mentioning `pool.query(` does not count (`//` after a space or at a line's start: not a URL). */
const stripComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The files under `srcDir` (relative, `/`-separated, sorted) that call pg's `query`. */
export function pgQueryFiles(srcDir: string): string[] {
  return sources(srcDir)
    .filter((path) => PG_QUERY.test(stripComments(readFileSync(path, 'utf8'))))
    .map((path) => relative(srcDir, path).split(sep).join('/'))
    .sort();
}

/**
 * `allowed`: each file that stays on pg, with its reason. `unlisted`: files calling pg's `query` that are not
 * allowed; `stale`: allowed files that no longer call it (so the list cannot outlive the code). Both should be [].
 */
export function auditPgQueries(
  srcDir: string,
  allowed: Readonly<Record<string, string>>,
): { unlisted: string[]; stale: string[] } {
  const found = pgQueryFiles(srcDir);
  return {
    unlisted: found.filter((path) => !Object.hasOwn(allowed, path)),
    stale: Object.keys(allowed)
      .filter((path) => !found.includes(path))
      .sort(),
  };
}
