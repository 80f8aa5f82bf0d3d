import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue 16: geo-reporting queries through Prisma Client; pg's `query` stays only on the hot path ARCHITECTURE.md
// lists with its benchmark ("Geo-reporting's data layer"). Tests and their set-up may seed with pg.
const SRC = fileURLToPath(new URL('.', import.meta.url));
const PG_QUERY_ALLOWED = new Set(['captures/capture.repository.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('geo-reporting data layer', () => {
  it("calls pg's query only on the listed hot path", () => {
    const offenders = sources(SRC)
      .map((path) => relative(SRC, path))
      .filter((path) => !PG_QUERY_ALLOWED.has(path))
      .filter((path) => /\b(pool|client|db)\.query\s*[(<]/.test(readFileSync(join(SRC, path), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
