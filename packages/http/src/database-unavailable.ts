import { ProblemError } from './problem.ts';

// PostgreSQL being away (a restart, a failover, a full pool) is not the request's fault nor a bug: every
// app answers it 503 `database_unavailable` with Retry-After, so clients and load balancers retry, and
// the storm test sees no 500. Recognised on the error or anything it wraps (pg, Prisma, its pg adapter).

/** SQLSTATEs of a server going away or refusing: 57P01-03 shutdown/crash/starting up, class 08, 53300. */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
/** Node's socket errors on the way to the server. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']);
/** Prisma's: can't reach (P1001), timed out (P1002, P1008), server closed the connection (P1017), pool timeout (P2024). */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** @prisma/driver-adapter-utils' error kinds for the same. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** pg's own errors carry no code: the pool's connect timeout and a connection lost mid-query. */
const PG_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
  'the database system is',
];

interface Wrapping {
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** True if `error` (or what it wraps) says the database is unreachable or going away, not a bad query. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const e = error as Wrapping;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && (SQLSTATES.has(code) || SOCKET_CODES.has(code) || PRISMA_CODES.has(code))) return true;
  if (typeof e.originalCode === 'string' && SQLSTATES.has(e.originalCode)) return true;
  if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true;
  // PrismaClientInitializationError: the client could not connect at all.
  if ((error as Error).name === 'PrismaClientInitializationError') return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (PG_MESSAGES.some((m) => message.includes(m))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

export function databaseUnavailableProblem(): ProblemError {
  return new ProblemError(503, 'database_unavailable', 'Database unavailable, retry shortly', {
    headers: { 'retry-after': '5' },
  });
}
