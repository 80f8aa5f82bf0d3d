import { grantContents } from './availability.ts';
import type { GrantView } from './redemption.service.ts';
import { type AudioStorage, type AudioTrack, DOWNLOAD_FORMATS, type DownloadFormat } from './storage.ts';

/** Files looked at per format; a release has far fewer (the archive and its tracks). */
const MAX_FILES = 64;

/**
 * The formats the page offers: those stored for at least one of the link's files (the archive and its tracks),
 * in `DOWNLOAD_FORMATS` order, so the fan is never offered, or pre-selected, a format that would answer
 * `file_unavailable`. Local storage answers by a stat per file; a bucket is not asked (`open` only signs a URL,
 * so every format counts as stored there: uploads are the catalogue pipeline's guarantee). Nothing stored yet
 * (a pre-order before its upload): every format, as the POST explains a missing file itself.
 */
export async function storedFormats(storage: AudioStorage, grant: GrantView, now: Date): Promise<DownloadFormat[]> {
  const contents = grantContents(grant, now);
  const files: (AudioTrack | null)[] = [
    ...(contents.archive ? [null] : []),
    ...contents.tracks.map((t) => ({ isrc: t.isrc, position: t.position })),
  ].slice(0, MAX_FILES);
  const stored = await Promise.all(
    DOWNLOAD_FORMATS.map(async (format) => {
      for (const track of files) {
        if (await storage.open({ releaseId: grant.releaseId, format, track }, 'probe')) return true;
      }
      return false;
    }),
  );
  const formats = DOWNLOAD_FORMATS.filter((_, i) => stored[i]);
  return formats.length > 0 ? formats : [...DOWNLOAD_FORMATS];
}
