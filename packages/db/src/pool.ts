import pg from 'pg';
import { guardPoolClients } from './transaction.ts';

/**
 * Session settings of every service connection, sent in the startup packet (no extra round trip).
 * `jit=off`: the services run short OLTP statements, and PostgreSQL JIT-compiles any plan whose estimated
 * cost passes `jit_above_cost` (100,000). A batch's `= ANY($1)` over a table whose statistics lag a burst of
 * inserts gets there: bench/fulfillment showed 105-135 ms of compilation per call (auto_explain) on statements
 * that run in a few milliseconds, on every snapshot batch. Reports are not long enough to win it back either.
 */
export const SERVICE_SESSION_OPTIONS = '-c jit=off';

/**
 * The pool config with the service session settings first, then every `options` the connection would have had:
 * PGOPTIONS, the URL's `?options=` and the config's own (a later `-c` wins, as before). pg reads only one of
 * them (the URL's replaces the config's, either replaces PGOPTIONS), so they are joined here and taken out of
 * the URL.
 */
export function withServiceSession(config: pg.PoolConfig): pg.PoolConfig {
  let connectionString = config.connectionString;
  let fromUrl: string | null = null;
  if (connectionString !== undefined && /[?&]options=/.test(connectionString)) {
    const url = new URL(connectionString);
    fromUrl = url.searchParams.get('options');
    url.searchParams.delete('options');
    connectionString = url.toString();
  }
  const options = [SERVICE_SESSION_OPTIONS, process.env.PGOPTIONS, fromUrl, config.options]
    .filter((part) => part !== undefined && part !== null && part.trim() !== '')
    .join(' ');
  return { ...config, ...(connectionString !== undefined ? { connectionString } : {}), options };
}

type Warn = (obj: { err: Error }, msg: string) => void;

/**
 * A service's pg pool: the session settings above, a lost idle connection logged (pg's pool would otherwise
 * raise an unhandled 'error'), and the checked-out clients guarded the same way (guardPoolClients).
 */
export function createServicePool(config: pg.PoolConfig, warn: Warn, what = 'PostgreSQL connection'): pg.Pool {
  const pool = new pg.Pool(withServiceSession(config));
  pool.on('error', (err) => warn({ err }, `idle ${what} lost`));
  return guardPoolClients(pool, (err) => warn({ err }, `${what} lost while in use`));
}
