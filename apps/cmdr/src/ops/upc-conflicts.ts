import { type Db, sqlOf } from '@single/db';
import { listUpcConflicts, resolveUpcConflict, type UpcConflict } from '@single/db/commands/upc-conflicts';
import { CmdrError, ExitCode, notFound, usageError } from '../exit-codes.ts';

// A UPC claimed by releases of more than one account (issue 14): the artist API keeps both and flags them for
// review; ops names the owner here. The statements are shared with the artist API (@single/db), run on cmdr's
// Prisma client as the artist API runs them (`sqlOf`).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listConflicts(db: Db, options: { all?: boolean } = {}): Promise<UpcConflict[]> {
  return listUpcConflicts(sqlOf(db), options);
}

/** Names `ownerReleaseId` the owner of the conflict's UPC; every other release with it is rejected for it. */
export async function resolveConflict(
  db: Db,
  input: { conflictId: string; ownerReleaseId: string; resolvedBy: string },
): Promise<UpcConflict> {
  if (!UUID.test(input.conflictId)) throw usageError(`invalid conflict id "${input.conflictId}"`);
  if (!UUID.test(input.ownerReleaseId)) throw usageError(`invalid release id "${input.ownerReleaseId}"`);
  const result = await resolveUpcConflict(sqlOf(db), input);
  if (result.status === 'not_found') throw notFound(`no open UPC conflict ${input.conflictId}`);
  if (result.status === 'owner_not_claimant') {
    throw new CmdrError(`release ${input.ownerReleaseId} does not claim this conflict's UPC`, ExitCode.conflict);
  }
  return result.conflict;
}

export function describeConflict(c: UpcConflict): string {
  const head = `${c.id} UPC ${c.upc} opened ${c.openedAt.toISOString()}${
    c.resolvedAt ? ` resolved ${c.resolvedAt.toISOString()} owner ${c.ownerReleaseId}` : ' OPEN'
  }`;
  const releases = c.releases.map(
    (r) => `  ${r.releaseId} ${r.upcReview ?? '-'} "${r.title}" by ${r.artistName} (account ${r.accountName})`,
  );
  return [head, ...releases].join('\n');
}
