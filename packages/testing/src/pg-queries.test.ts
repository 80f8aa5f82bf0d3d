import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditPgQueries, pgQueryFiles, usesPgQuery } from './pg-queries.ts';

const src = mkdtempSync(join(tmpdir(), 'pg-queries-'));
const file = (path: string, text: string) => {
  mkdirSync(join(src, path, '..'), { recursive: true });
  writeFileSync(join(src, path), text);
};
file('hot/claim.ts', 'await pool.query<Row>(SQL, [ids]);');
file('relay.ts', "await client\n  .query('LISTEN x');");
file('orders.ts', 'await db.order.findMany(); // not pool.query(...)\n/* nor client.query<Row>() */');
file('script.mjs', "await pool.query('SELECT 1');");
file('legacy.cjs', "module.exports = (c) => c['query']('SELECT 1');");
file('orders.test.ts', "await pool.query('TRUNCATE orders');");
file('test-support/seed.ts', "await pool.query('INSERT ...');");
file('storm/run.ts', "await pool.query('SELECT 1');");
file('lib/test-support/x.ts', "await pool.query('SELECT 1');");
afterAll(() => rmSync(src, { recursive: true, force: true }));

const uses = (text: string, name = 'x.ts') => usesPgQuery(name, text);

describe('pg query audit', () => {
  it.each([
    ['a call', 'await pool.query(SQL);'],
    ['a typed call', 'await client.query<Row>(SQL, [1]);'],
    ['bind', 'const run = pool.query.bind(pool);'],
    ['call', "await pool.query.call(pool, 'SELECT 1');"],
    ['apply', 'await pool.query.apply(pool, [SQL]);'],
    ['an element access', "await client['query']('SELECT 1');"],
    ['an element access by template', 'await client[`query`](SQL);'],
    ['passing it along', 'retry(pool.query, SQL);'],
    ['a destructuring', 'const { query } = pool;'],
    ['a renamed destructuring', "const { query: run } = this.#pool; await run('SELECT 1');"],
    ['a parameter destructuring', 'const f = ({ query }: Pool) => query(SQL);'],
    ['an optional call', 'await pool?.query(SQL);'],
    ['a call after a string holding //', "const url = 'http:// x'; await pool.query(SQL);"],
    ['a call after a string holding /*', "const glob = 'a/*'; await pool.query(SQL); const end = '*/';"],
    ['a call after a template holding //', 'const s = `a // b`; await pool.query(SQL);'],
    ['a call after a regex holding //', 'const r = /\\/\\//; await pool.query(SQL);'],
  ])('reports %s', (_, text) => {
    expect(uses(text)).toBe(true);
  });

  it.each([
    ['comments', '// pool.query(SQL)\n/* client.query<Row>() */ await db.order.findMany();'],
    ['strings', "const s = 'pool.query(SQL)'; const t = `client['query']()`;"],
    ["Prisma's raw queries", 'await db.$queryRaw`SELECT 1`; await db.$queryRawUnsafe(SQL);'],
    ["fastify's request.query", 'const { limit } = request.query; list(req.query.cursor);'],
    ['a destructured fastify query', 'const { query } = request;'],
    ["a component's props", 'const { query } = props;'],
    ['a type naming it', "type Q = Pool['query']; interface C { query: Pool['query'] }"],
    ['another name', 'await pool.queryStream(SQL); const querySql = 1;'],
  ])('does not report %s', (_, text) => {
    expect(uses(text)).toBe(false);
  });

  it('reads JavaScript and JSX sources', () => {
    expect(uses("export default (p) => p.pool.query('SELECT 1');", 'a.mjs')).toBe(true);
    expect(uses('export const A = () => <div>{pool.query.name}</div>;', 'a.tsx')).toBe(true);
  });

  it('fails on a file it cannot parse rather than pass it unseen', () => {
    expect(() => uses('await pool.query(')).toThrow(/x\.ts/);
  });

  it('finds the runtime files using pg query, skipping tests and the test-support folders given by path', () => {
    expect(pgQueryFiles(src, ['test-support'])).toEqual([
      'hot/claim.ts',
      'legacy.cjs',
      'lib/test-support/x.ts',
      'relay.ts',
      'script.mjs',
      'storm/run.ts',
    ]);
    expect(pgQueryFiles(src, ['test-support', 'storm', 'lib/test-support'])).toEqual([
      'hot/claim.ts',
      'legacy.cjs',
      'relay.ts',
      'script.mjs',
    ]);
  });

  it('reports files not allowed and allowed files that no longer query', () => {
    const allowed = { 'hot/claim.ts': 'hot path', 'orders.ts': 'moved to Prisma since' };
    expect(auditPgQueries(src, allowed, ['test-support', 'storm', 'lib/test-support'])).toEqual({
      unlisted: ['legacy.cjs', 'relay.ts', 'script.mjs'],
      stale: ['orders.ts'],
    });
  });
});
