import type { Pool, PoolClient } from 'pg';

/** Anything with pg's `query`: a Pool, or a PoolClient inside the caller's transaction. */
export type Sql = Pick<PoolClient, 'query'>;

/**
 * Checks a connection out of the pool for `work`, with an error listener while it is out: pg's pool only
 * listens to idle connections, so a server that goes away while a checked-out client sits between two
 * queries (e.g. waiting on Kafka) would otherwise raise an uncaught 'error' and take the process down.
 * The work's next query fails instead. A lost connection, or one the work discards, is not reused.
 */
export async function withClient<T>(
  pool: Pool,
  work: (client: PoolClient, discard: () => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let reusable = true;
  const onError = () => {
    reusable = false;
  };
  client.on('error', onError);
  try {
    return await work(client, onError);
  } finally {
    // A dead connection keeps the listener: its socket may still report errors after release.
    if (reusable) client.removeListener('error', onError);
    client.release(!reusable);
  }
}

/** Runs `work` in one transaction on a pooled connection; a connection that failed is not reused. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client, discard) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(discard);
      throw error;
    }
  });
}

/**
 * Keeps a server that goes away (restart, failover) from crashing the process through a pooled client. pg's
 * pool listens for errors only on idle clients; a client checked out outside `withClient` (pool.query's own,
 * a driver adapter's, one between two queries) would otherwise raise an uncaught 'error'. With the guard its
 * next query fails instead (the caller retries), and the pool drops the broken client on release.
 */
export function guardPoolClients(pool: Pool, onError: (err: Error) => void): Pool {
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}
