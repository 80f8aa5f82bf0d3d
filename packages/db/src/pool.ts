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

/** The pool config with the service session settings added to any `options` it already has. */
export function withServiceSession(config: pg.PoolConfig): pg.PoolConfig {
  return { ...config, options: [SERVICE_SESSION_OPTIONS, config.options].filter(Boolean).join(' ') };
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
