import { describe, expect, it } from 'vitest';
import { toProblemError } from './errors.ts';

// The real outages (pg refused, terminated mid-query, Prisma's adapter) are in geo-reporting's
// database-outage.int.test.ts; here: what must NOT be taken for an outage, and the wrapped shapes.
describe('toProblemError and database outages', () => {
  it('a query error of the code (unique violation, syntax) stays a 500', () => {
    expect(toProblemError(Object.assign(new Error('duplicate key'), { code: '23505' })).status).toBe(500);
    expect(toProblemError(Object.assign(new Error('syntax error'), { code: '42601' })).status).toBe(500);
    expect(toProblemError(new Error('boom')).status).toBe(500);
  });

  it('57P03 wrapped in a driver adapter error is 503 database_unavailable with Retry-After', () => {
    const pgError = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
    const adapter = Object.assign(new Error('adapter'), { cause: { kind: 'postgres', originalCode: '57P03' } });
    for (const error of [new Error('query failed', { cause: pgError }), adapter]) {
      const problem = toProblemError(error);
      expect(problem.status).toBe(503);
      expect(problem.code).toBe('database_unavailable');
      expect(problem.headers['retry-after']).toBe('5');
    }
  });
});
