/** What the grant logic needs to know about a release (artist-api's release settings). */
export interface ReleaseTerms {
  releaseId: string;
  title: string;
  upc: string;
  /** 00:00 America/New_York on the release date unless the release names another instant. */
  releaseInstant: Date;
  /**
   * The earliest track instant ("instant grat" tracks), if any track has its own. It does not open the
   * grant (that is the release instant): the download route serves each track from its own instant.
   */
  firstTrackInstant: Date | null;
  downloadLimit: number;
  /** 0 = links never expire. */
  downloadExpiryDays: number;
}

export interface PlannedGrant {
  releaseId: string;
  unitIndex: number;
  status: 'active' | 'scheduled';
  activateAt: Date;
  expiresAt: Date | null;
  downloadLimit: number;
}

const DAY_MS = 86_400_000;

/**
 * When a grant opens (becomes active: the fulfilment, the "it's here" email and the expiry clock start):
 * the release instant, or for a track sale (`track`) that track's own instant (null = the release's).
 * Never an earlier "instant grat" track's instant: before the release instant the link is already live and
 * serves only the files that are out (the download route decides per file), and the order email says so.
 * The scheduler derives this again from the catalogue at each tick, so a re-timed release is honoured.
 */
export function availableAt(terms: ReleaseTerms, track?: { releaseInstant: Date | null } | null): Date {
  return track?.releaseInstant ?? terms.releaseInstant;
}

export function expiryFrom(activatedAt: Date, expiryDays: number): Date | null {
  return expiryDays > 0 ? new Date(activatedAt.getTime() + expiryDays * DAY_MS) : null;
}

/**
 * One grant per unit index given (the caller picks them: see `newUnitIndexes`). Released music is active now; a
 * pre-order is scheduled for the instant it becomes available.
 */
export function planGrants(
  terms: ReleaseTerms,
  unitIndexes: readonly number[],
  now: Date,
  track?: { releaseInstant: Date | null } | null,
): PlannedGrant[] {
  const opensAt = availableAt(terms, track);
  const released = opensAt.getTime() <= now.getTime();
  return unitIndexes.map((unitIndex) => ({
    releaseId: terms.releaseId,
    unitIndex,
    status: released ? 'active' : 'scheduled',
    activateAt: released ? now : opensAt,
    expiresAt: released ? expiryFrom(now, terms.downloadExpiryDays) : null,
    downloadLimit: terms.downloadLimit,
  }));
}

/**
 * The unit indexes of a line's new units. A unit index is never reused: a unit revoked by a refund or an order
 * edit that lowered the quantity stays revoked (its sale was reversed), and units owed again (the quantity rose
 * again) are new units with indexes above every index the line has used, so they get new grants, new links, a new
 * email and their own sale.recorded, which geo-reporting counts as new units (its duplicate rule is one
 * sale.recorded per line and unit index). `live`: the line's units not revoked; `maxIndex`: its highest unit index
 * ever (-1 without grants). Units 0 .. owed-1 for a line granted for the first time.
 */
export function newUnitIndexes(owed: number, live: number, maxIndex: number): number[] {
  return Array.from({ length: Math.max(0, owed - live) }, (_, k) => maxIndex + 1 + k);
}
