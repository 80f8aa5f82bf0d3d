import { createServicePool } from '@single/db/pool';
import { afterEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from './postgres.ts';

describe('a service pool', () => {
  const database = useTestDatabase({ scope: 'all' });
  const saved = process.env.PGOPTIONS;
  afterEach(() => {
    if (saved === undefined) delete process.env.PGOPTIONS;
    else process.env.PGOPTIONS = saved;
  });

  async function settings(url: string, options?: string) {
    const pool = createServicePool({ connectionString: url, max: 1, ...(options ? { options } : {}) }, () => undefined);
    try {
      const { rows } = await pool.query<{ jit: string; timeout: string; lock: string }>(
        "SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout, current_setting('lock_timeout') AS lock",
      );
      return rows[0]!;
    } finally {
      await pool.end();
    }
  }

  it('runs with JIT off', async () => {
    expect((await settings(database().url)).jit).toBe('off');
  });

  it("keeps every other source of session options: PGOPTIONS, the URL's ?options= and the config's", async () => {
    process.env.PGOPTIONS = '-c lock_timeout=3000';
    const url = new URL(database().url);
    url.searchParams.set('options', '-c statement_timeout=5000');
    expect(await settings(url.toString())).toEqual({ jit: 'off', timeout: '5s', lock: '3s' });
    // The config's own options come last: its -c wins over the URL's.
    expect(await settings(url.toString(), '-c statement_timeout=6000')).toEqual({
      jit: 'off',
      timeout: '6s',
      lock: '3s',
    });
  });
});
