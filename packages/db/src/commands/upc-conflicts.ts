// Owned by the artist API (release, upc_conflict): it flags claims and withdraws them as releases are written;
// ops resolves a conflict with cmdr (`cmdr upc-conflicts resolve`, the only resolution path: the artist API
// has no ops route for it); geo-reporting reads the same states.
//
// A UPC is unique per account, not across accounts: when releases of two accounts claim one UPC, both are
// kept and flagged `under_review` (neither charts), and ops names the owner. The owner's release becomes
// `confirmed` and every other release with that UPC `rejected`: it keeps its catalogue entry, but its
// sales never chart under a UPC it does not own.

/** Anything with pg's `query` (a Pool, a PoolClient). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export const UPC_REVIEW_STATES = ['under_review', 'confirmed', 'rejected'] as const;
export type UpcReviewState = (typeof UPC_REVIEW_STATES)[number];

export interface UpcConflictRelease {
  releaseId: string;
  title: string;
  artistName: string;
  accountId: string;
  accountName: string;
  upcReview: UpcReviewState | null;
  createdAt: Date;
}

export interface UpcConflict {
  id: string;
  upc: string;
  openedAt: Date;
  resolvedAt: Date | null;
  ownerReleaseId: string | null;
  resolvedBy: string | null;
  /** Every release that claims the UPC now, oldest first. */
  releases: UpcConflictRelease[];
}

const CONFLICT_SELECT = `
  SELECT c.id::text, c.upc, c.opened_at AS "openedAt", c.resolved_at AS "resolvedAt",
         c.owner_release_id::text AS "ownerReleaseId", c.resolved_by AS "resolvedBy",
         coalesce((SELECT json_agg(json_build_object(
                     'releaseId', r.id, 'title', r.title, 'artistName', ar.name, 'accountId', ac.id,
                     'accountName', ac.name, 'upcReview', r.upc_review, 'createdAt', r.created_at)
                   ORDER BY r.created_at, r.id)
                     FROM release r JOIN artist ar ON ar.id = r.artist_id JOIN account ac ON ac.id = ar.account_id
                    WHERE r.upc = c.upc), '[]'::json) AS releases
    FROM upc_conflict c`;

type ConflictRow = Omit<UpcConflict, 'releases'> & {
  releases: (Omit<UpcConflictRelease, 'createdAt'> & { createdAt: string })[];
};

const toConflict = (row: ConflictRow): UpcConflict => ({
  ...row,
  releases: row.releases.map((r) => ({ ...r, createdAt: new Date(r.createdAt) })),
});

/** Conflicts, open ones only unless `all`; oldest first. */
export async function listUpcConflicts(sql: Queryable, options: { all?: boolean } = {}): Promise<UpcConflict[]> {
  const { rows } = await sql.query<ConflictRow & Record<string, unknown>>(
    `${CONFLICT_SELECT} WHERE $1::boolean OR c.resolved_at IS NULL ORDER BY c.opened_at, c.id LIMIT 1000`,
    [options.all === true],
  );
  return rows.map(toConflict);
}

export type ResolveResult =
  | { status: 'resolved'; conflict: UpcConflict }
  | { status: 'not_found' }
  | { status: 'owner_not_claimant' };

/**
 * Names the owner of an open conflict's UPC: that release becomes `confirmed`, every other release with the
 * UPC `rejected`, the conflict resolved (one statement; the conflict row is locked). Geo-reporting then
 * re-plans the units it kept pending as `upc_under_review` (SalesService.replanUpcReviews).
 */
export async function resolveUpcConflict(
  sql: Queryable,
  input: { conflictId: string; ownerReleaseId: string; resolvedBy: string },
): Promise<ResolveResult> {
  const { rows } = await sql.query<{ conflict: boolean; owner: boolean }>(
    `WITH c AS (
       SELECT id, upc FROM upc_conflict WHERE id = $1::uuid AND resolved_at IS NULL FOR UPDATE
     ), owner AS (
       SELECT r.id FROM release r JOIN c ON c.upc = r.upc WHERE r.id = $2::uuid
     ), done AS (
       UPDATE upc_conflict u SET resolved_at = now(), owner_release_id = owner.id, resolved_by = $3
         FROM owner WHERE u.id = $1::uuid
       RETURNING u.id
     ), reviewed AS (
       UPDATE release r
          SET upc_review = (CASE WHEN r.id = owner.id THEN 'confirmed' ELSE 'rejected' END)::upc_review_state
         FROM c, owner WHERE r.upc = c.upc
       RETURNING r.id
     )
     SELECT EXISTS (SELECT 1 FROM c) AS conflict, EXISTS (SELECT 1 FROM owner) AS owner`,
    [input.conflictId, input.ownerReleaseId, input.resolvedBy],
  );
  const row = rows[0];
  if (!row?.conflict) return { status: 'not_found' };
  if (!row.owner) return { status: 'owner_not_claimant' };
  const resolved = await sql.query<ConflictRow & Record<string, unknown>>(`${CONFLICT_SELECT} WHERE c.id = $1::uuid`, [
    input.conflictId,
  ]);
  return { status: 'resolved', conflict: toConflict(resolved.rows[0]!) };
}

/**
 * Called by the artist API under the UPC's advisory lock, after a release of `accountId` was written with
 * `upc` (created, or its UPC changed): when a release of another account claims the same UPC (and was not
 * rejected for it), the UPC's open conflict is opened or joined and the claimants are flagged
 * `under_review`. A release ops already confirmed keeps charting: only the newcomer waits. One statement
 * whether or not another account holds the UPC, so the caller's path does not differ by it.
 */
export async function flagUpcClaim(
  sql: Queryable,
  input: { releaseId: string; upc: string; accountId: string },
): Promise<void> {
  await sql.query(
    `WITH others AS (
       SELECT r.id, r.upc_review FROM release r JOIN artist a ON a.id = r.artist_id
        WHERE r.upc = $2 AND a.account_id <> $3::uuid AND r.id <> $1::uuid
          AND r.upc_review IS DISTINCT FROM 'rejected'
     ), opened AS (
       INSERT INTO upc_conflict (upc) SELECT $2 WHERE EXISTS (SELECT 1 FROM others)
       ON CONFLICT (upc) WHERE resolved_at IS NULL DO NOTHING
       RETURNING id
     )
     UPDATE release r SET upc_review = CASE WHEN EXISTS (SELECT 1 FROM others) THEN 'under_review'::upc_review_state END
      WHERE r.id = $1::uuid
         OR (r.id IN (SELECT id FROM others WHERE upc_review IS NULL))`,
    [input.releaseId, input.upc, input.accountId],
  );
}

/**
 * Called by the artist API under the UPC's advisory lock after a release stopped claiming `upc` (its UPC
 * changed, or it was deleted): a rival's claim withdrawn must not keep the owner under review. While
 * claimants (releases with the UPC that were not rejected) of more than one account remain, nothing changes;
 * otherwise the UPC's open conflict is closed (`resolved_by` = `withdrawn`; the owner is the one claimant
 * left, if any) and the claimants' `under_review` is cleared, so geo-reporting charts their waiting units
 * (SalesService.replanUpcReviews). A release ops confirmed or rejected keeps that verdict.
 */
export async function withdrawUpcClaim(sql: Queryable, input: { upc: string }): Promise<void> {
  await sql.query(
    `WITH claimants AS (
       SELECT r.id, a.account_id FROM release r JOIN artist a ON a.id = r.artist_id
        WHERE r.upc = $1 AND r.upc_review IS DISTINCT FROM 'rejected'
     ), settled AS (
       SELECT (SELECT count(DISTINCT account_id) FROM claimants) <= 1 AS yes
     ), closed AS (
       UPDATE upc_conflict u
          SET resolved_at = now(), resolved_by = 'withdrawn',
              owner_release_id = (SELECT id FROM claimants LIMIT 1)
        WHERE u.upc = $1 AND u.resolved_at IS NULL AND (SELECT yes FROM settled)
       RETURNING u.id
     )
     UPDATE release r SET upc_review = NULL
      WHERE r.id IN (SELECT id FROM claimants) AND r.upc_review = 'under_review' AND (SELECT yes FROM settled)`,
    [input.upc],
  );
}
