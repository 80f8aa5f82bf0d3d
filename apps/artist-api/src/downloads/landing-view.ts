import { z } from 'zod';
import { grantContents } from './availability.ts';
import { downloadsLeft, type GrantView } from './redemption.service.ts';
import { DOWNLOAD_FORMATS, type DownloadFormat } from './storage.ts';

const availability = {
  available: z.boolean().describe('Out now: a download may be asked for'),
  availableAt: z.string().describe('ISO instant the file is (or was) out'),
  downloadsLeft: z.number().int().describe('Downloads left of this file (each file has its own downloadLimit)'),
};

/** The JSON view of a download link: what `GET /d/:token` shows, counted nothing. Reused by the fan page. */
export const landingView = z
  .object({
    release: z.object({
      id: z.uuid(),
      title: z.string(),
      artworkUrl: z.string().describe('The cover art (`GET /releases/{id}/artwork`), relative to this API'),
    }),
    /** A track sale's link delivers that one track; a release's delivers the archive and each track. */
    scope: z.enum(['release', 'track']),
    formats: z
      .array(z.enum(DOWNLOAD_FORMATS))
      .describe("The formats stored for this link's files (the page offers only these)"),
    downloadsLeft: z
      .number()
      .int()
      .describe("The most downloads left of any one file (each file's own count is beside it)"),
    downloadLimit: z.number().int().describe('Downloads of each file: every track and the archive'),
    expiresAt: z.string().nullable().describe('ISO instant the link stops working; null = never, or not started'),
    archive: z
      .object(availability)
      .nullable()
      .describe('The whole release as one zip, from the release instant; null for a track link'),
    tracks: z.array(z.object({ position: z.number().int(), title: z.string(), ...availability })),
    nextAvailableAt: z.string().nullable().describe('When the next file not out yet arrives; null = all out'),
    download: z.object({
      method: z.literal('POST'),
      url: z.string().describe('Form fields: format, and track (a position) for one track; no track = the archive'),
    }),
  })
  .meta({ id: 'DownloadLanding' });

export type LandingView = z.infer<typeof landingView>;

export function toLandingView(
  grant: GrantView,
  token: string,
  now: Date,
  formats: readonly DownloadFormat[] = DOWNLOAD_FORMATS,
): LandingView {
  const contents = grantContents(grant, now);
  const iso = (d: Date) => d.toISOString();
  const archive = contents.archive && {
    available: contents.archive.available,
    availableAt: iso(contents.archive.availableAt),
    downloadsLeft: downloadsLeft(grant, null),
  };
  const tracks = contents.tracks.map((t) => ({
    position: t.position,
    title: t.title,
    available: t.available,
    availableAt: iso(t.availableAt),
    downloadsLeft: downloadsLeft(grant, t.id),
  }));
  return {
    release: { id: grant.releaseId, title: grant.releaseTitle, artworkUrl: `/releases/${grant.releaseId}/artwork` },
    scope: grant.trackId === null ? 'release' : 'track',
    formats: [...formats],
    downloadsLeft: Math.max(0, ...[...(archive ? [archive] : []), ...tracks].map((f) => f.downloadsLeft)),
    downloadLimit: grant.downloadLimit,
    expiresAt: grant.expiresAt ? iso(grant.expiresAt) : null,
    archive,
    tracks,
    nextAvailableAt: contents.nextAvailableAt ? iso(contents.nextAvailableAt) : null,
    download: { method: 'POST', url: `/d/${token}/download` },
  };
}
