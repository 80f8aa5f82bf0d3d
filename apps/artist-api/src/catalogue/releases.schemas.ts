import { calendarDate, instant } from '@single/contracts';
import { z } from 'zod';
import { pageOf, pageQuery } from '../support/pagination.ts';
import { normaliseIsrc, normaliseUpc } from './identifiers.ts';

const upc = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const normalised = normaliseUpc(value);
    if (!normalised) ctx.addIssue({ code: 'custom', message: 'not a UPC-A or EAN-13 with a valid check digit' });
    return normalised ?? z.NEVER;
  })
  .describe('UPC-A (12 digits) or EAN-13; stored as 13 digits');

const isrc = z
  .string()
  .max(20)
  .transform((value, ctx) => {
    const normalised = normaliseIsrc(value);
    if (!normalised) ctx.addIssue({ code: 'custom', message: 'not an ISRC (CC-XXX-YY-NNNNN)' });
    return normalised ?? z.NEVER;
  })
  .describe('ISRC, with or without hyphens');

const territory = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case');

export const trackInput = z.object({
  position: z.number().int().min(1).max(999),
  title: z.string().trim().min(1).max(300),
  isrc,
  releaseInstant: instant
    .nullish()
    .describe('Earlier than the release for "instant grat" tracks; null = the release instant'),
});

const releaseFields = {
  artistId: z.uuid(),
  title: z.string().trim().min(1).max(300),
  upc,
  releaseDate: calendarDate.describe('Release date; the release instant is 00:00 America/New_York on it'),
  releaseInstant: instant.describe('Explicit release instant (instead of releaseDate)'),
  preorder: z.boolean(),
  preorderStartsAt: instant.nullable().describe('Opening of the pre-order window (it closes at the release instant)'),
  downloadLimit: z.number().int().min(1).max(100),
  downloadExpiryDays: z.number().int().min(1).max(3_650),
  territories: z.array(territory).max(250).describe('Where the release may be sold; empty = everywhere'),
  tracks: z.array(trackInput).max(500),
};

export const createReleaseBody = z
  .object({
    ...releaseFields,
    releaseDate: releaseFields.releaseDate.optional(),
    releaseInstant: releaseFields.releaseInstant.optional(),
    preorder: releaseFields.preorder.default(false),
    preorderStartsAt: releaseFields.preorderStartsAt.optional(),
    downloadLimit: releaseFields.downloadLimit.default(5),
    downloadExpiryDays: releaseFields.downloadExpiryDays.default(30),
    territories: releaseFields.territories.default([]),
    tracks: releaseFields.tracks.default([]),
  })
  .strict()
  .refine((b) => (b.releaseDate === undefined) !== (b.releaseInstant === undefined), {
    message: 'give exactly one of releaseDate and releaseInstant',
    path: ['releaseDate'],
  });

export const updateReleaseBody = z
  .object({
    artistId: releaseFields.artistId.optional(),
    title: releaseFields.title.optional(),
    upc: releaseFields.upc.optional(),
    releaseDate: releaseFields.releaseDate.optional(),
    releaseInstant: releaseFields.releaseInstant.optional(),
    preorder: releaseFields.preorder.optional(),
    preorderStartsAt: releaseFields.preorderStartsAt.optional(),
    downloadLimit: releaseFields.downloadLimit.optional(),
    downloadExpiryDays: releaseFields.downloadExpiryDays.optional(),
    territories: releaseFields.territories.optional(),
    tracks: releaseFields.tracks
      .optional()
      .describe(
        'Replaces the track list when given, matched by ISRC (a track is its ISRC): a listed ISRC keeps its track ' +
          '(position, title and instant may change, e.g. a reorder); an ISRC left out is removed, refused with ' +
          '409 `track_in_use` while a track sale (a grant or a product mapping) points at it',
      ),
  })
  .strict()
  .refine((b) => b.releaseDate === undefined || b.releaseInstant === undefined, {
    message: 'give at most one of releaseDate and releaseInstant',
    path: ['releaseDate'],
  });

export type CreateReleaseBody = z.output<typeof createReleaseBody>;
export type UpdateReleaseBody = z.output<typeof updateReleaseBody>;
export type TrackInput = z.output<typeof trackInput>;

export const track = z.object({
  id: z.uuid(),
  position: z.number().int(),
  title: z.string(),
  isrc: z.string(),
  releaseInstant: z.string().nullable(),
});

export const release = z
  .object({
    id: z.uuid(),
    artistId: z.uuid(),
    title: z.string(),
    upc: z.string().describe('13 digits'),
    releaseInstant: z.string(),
    preorder: z.boolean(),
    preorderStartsAt: z.string().nullable(),
    downloadLimit: z.number().int(),
    downloadExpiryDays: z.number().int(),
    territories: z.array(z.string()),
    tracks: z.array(track),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Release' });
export type Release = z.output<typeof release>;

export const listReleasesQuery = z.object({
  ...pageQuery,
  artistId: z.uuid().optional(),
  upc: z.string().max(32).optional(),
  preorder: z.enum(['true', 'false']).optional(),
});

export const releasePage = pageOf(release);

export const waitingPreorders = z
  .object({
    items: z.array(
      z.object({
        releaseId: z.uuid(),
        title: z.string(),
        releaseInstant: z.string().describe('When the waiting units are delivered'),
        units: z.number().int().describe("Units sold and not yet delivered (grants in status 'scheduled')"),
      }),
    ),
  })
  .meta({ id: 'WaitingPreorders' });
export const idParams = z.object({ id: z.string().max(100) });
