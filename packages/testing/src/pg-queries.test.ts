import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditPgQueries, pgQueryFiles } from './pg-queries.ts';

const src = mkdtempSync(join(tmpdir(), 'pg-queries-'));
const file = (path: string, text: string) => {
  mkdirSync(join(src, path, '..'), { recursive: true });
  writeFileSync(join(src, path), text);
};
file('hot/claim.ts', 'await pool.query<Row>(SQL, [ids]);');
file('relay.ts', "await client\n  .query('LISTEN x');");
file('orders.ts', 'await db.order.findMany(); // not pool.query(...)\n/* nor client.query<Row>() */');
file('orders.test.ts', "await pool.query('TRUNCATE orders');");
file('test-support/seed.ts', "await pool.query('INSERT ...');");
file('storm/run.ts', "await pool.query('SELECT 1');");
afterAll(() => rmSync(src, { recursive: true, force: true }));

describe('pg query audit', () => {
  it('finds the runtime files calling pg query, not tests, their set-up or comments', () => {
    expect(pgQueryFiles(src)).toEqual(['hot/claim.ts', 'relay.ts']);
  });

  it('reports files not allowed and allowed files that no longer query', () => {
    expect(auditPgQueries(src, { 'hot/claim.ts': 'hot path', 'orders.ts': 'moved to Prisma since' })).toEqual({
      unlisted: ['relay.ts'],
      stale: ['orders.ts'],
    });
  });
});
