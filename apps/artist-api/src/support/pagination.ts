import { isInstant } from '@single/contracts';
import { ProblemError } from '@single/http';
import { z } from 'zod';

/** Query fields every list shares. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size (1-100).'),
  cursor: z.string().max(512).optional().describe('Opaque cursor from the previous page (`nextCursor`).'),
};

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  });

type CursorValue = string;
/** What each cursor element must be, so that a forged cursor is a 400 and never reaches SQL as garbage. */
export type CursorPart = 'timestamp' | 'uuid' | 'bigint';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BIGINT = /^-?[0-9]{1,19}$/;
const valid: Record<CursorPart, (v: string) => boolean> = {
  // In the shared instant range: Date.parse takes year 0000, which PostgreSQL refuses (a 500, not a 400).
  timestamp: (v) => ISO.test(v) && isInstant(v),
  uuid: (v) => UUID.test(v),
  bigint: (v) => BIGINT.test(v) && BigInt(v) <= 9_223_372_036_854_775_807n && BigInt(v) >= -9_223_372_036_854_775_808n,
};

/**
 * Cursors are the sort key of the last row (plus its id, the tie-breaker), base64url-encoded JSON. They are
 * opaque to clients; a cursor only selects rows after a position, and every query stays scoped to the
 * caller's account, so a forged cursor cannot reach another account's rows.
 */
export function encodeCursor(values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: readonly CursorPart[]): CursorValue[] | undefined {
  if (cursor === undefined) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(values) || values.length !== shape.length) throw invalidCursor();
  shape.forEach((part, i) => {
    const v = (values as unknown[])[i];
    if (typeof v !== 'string' || !valid[part](v)) throw invalidCursor();
  });
  return values as CursorValue[];
}

const invalidCursor = () => new ProblemError(400, 'invalid_cursor', 'Invalid cursor');

/**
 * Rows strictly after a `[createdAt, id]` cursor in `createdAt DESC, id DESC` order: the row-value comparison
 * `(created_at, id) < (t, id)` as a Prisma filter (the indexes on created_at still serve it).
 */
export function keysetBefore([createdAt, id]: CursorValue[]) {
  const at = new Date(createdAt!);
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id! } }] };
}

/** Reads one extra row to know whether a next page exists. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => CursorValue[],
  map: (row: Row) => Item,
) {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { items: pageRows.map(map), nextCursor: more && last ? encodeCursor(cursorOf(last)) : null };
}
