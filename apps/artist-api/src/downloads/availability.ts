/** A track as the catalogue holds it: its own instant, or null for the release's. */
export interface TrackTerms {
  id: string;
  position: number;
  title: string;
  isrc: string;
  releaseInstant: Date | null;
}

/** What a grant covers: the whole release, or one track of it (a track sale, `trackId`). */
export interface GrantScope {
  releaseInstant: Date;
  tracks: readonly TrackTerms[];
  trackId: string | null;
}

export interface FileAvailability {
  availableAt: Date;
  available: boolean;
}

/** One track file of a grant: the track row (its id and ISRC are its identity) and when it is out. */
export type TrackFile = FileAvailability & Omit<TrackTerms, 'releaseInstant'>;

export interface GrantContents {
  /** The release archive; null for a track grant (it never serves the archive). */
  archive: FileAvailability | null;
  tracks: TrackFile[];
  /** When the next file that is not out yet arrives; null once everything is out. */
  nextAvailableAt: Date | null;
}

/**
 * What a grant may serve at `now`, derived from the catalogue's instants each time they are read, so a
 * release or track moved earlier or later is honoured at once and nothing is served before its instant:
 * each track from its own instant (null = the release's), the archive (which holds every track) from the
 * latest of the release instant and its tracks' instants.
 */
export function grantContents(scope: GrantScope, now: Date): GrantContents {
  const at = (instant: Date) => ({ availableAt: instant, available: instant.getTime() <= now.getTime() });
  const trackInstant = (t: TrackTerms) => t.releaseInstant ?? scope.releaseInstant;
  const covered = scope.trackId === null ? scope.tracks : scope.tracks.filter((t) => t.id === scope.trackId);
  const tracks = [...covered]
    .sort((a, b) => a.position - b.position)
    .map((t) => ({ id: t.id, position: t.position, title: t.title, isrc: t.isrc, ...at(trackInstant(t)) }));
  let archive: FileAvailability | null = null;
  if (scope.trackId === null) {
    const latest = Math.max(scope.releaseInstant.getTime(), ...scope.tracks.map((t) => trackInstant(t).getTime()));
    archive = at(new Date(latest));
  }
  const pending = [...tracks, ...(archive ? [archive] : [])].filter((f) => !f.available).map((f) => f.availableAt);
  const next = pending.length > 0 ? new Date(Math.min(...pending.map((d) => d.getTime()))) : null;
  return { archive, tracks, nextAvailableAt: next };
}

/**
 * A file of a grant: null = the archive; `{ position }` = the track at that position now (what the landing
 * page's button names); `{ id }` = that track row, wherever it sits now (what a counted download names).
 */
export type FileSelector = null | { position: number } | { id: string };

export type FileCheck =
  | { state: 'available'; track: TrackFile | null }
  | { state: 'not_yet'; availableAt: Date }
  | { state: 'no_such_file' };

/** Whether a file may be served now under these contents; an available track comes with its row. */
export function checkFile(contents: GrantContents, which: FileSelector): FileCheck {
  const track =
    which === null
      ? null
      : contents.tracks.find((t) => ('id' in which ? t.id === which.id : t.position === which.position));
  const file = which === null ? contents.archive : track;
  if (!file) return { state: 'no_such_file' };
  if (!file.available) return { state: 'not_yet', availableAt: file.availableAt };
  return { state: 'available', track: track ?? null };
}
