import type { AccountDb } from '@single/db';
import { ProblemError } from '@single/http';
import { notFound, unprocessable } from '../support/problems.ts';
import type { ArtistRepository } from './artists.ts';
import { zonedMidnight } from './identifiers.ts';
import { type ReleaseRepository, type ReleaseValues, TrackInUseError, UpcTakenError } from './releases.repository.ts';
import type { CreateReleaseBody, Release, TrackInput, UpdateReleaseBody } from './releases.schemas.ts';

export class ReleaseService {
  readonly #releases: ReleaseRepository;
  readonly #artists: ArtistRepository;

  constructor(releases: ReleaseRepository, artists: ArtistRepository) {
    this.#releases = releases;
    this.#artists = artists;
  }

  async create(db: AccountDb, accountId: string, body: CreateReleaseBody): Promise<Release> {
    await this.#requireArtist(db, body.artistId);
    const values: ReleaseValues = {
      artistId: body.artistId,
      title: body.title,
      upc: body.upc,
      releaseInstant: body.releaseInstant ? new Date(body.releaseInstant) : zonedMidnight(body.releaseDate!),
      preorder: body.preorder,
      preorderStartsAt: body.preorderStartsAt ? new Date(body.preorderStartsAt) : null,
      downloadLimit: body.downloadLimit,
      downloadExpiryDays: body.downloadExpiryDays,
      territories: [...new Set(body.territories)],
      tracks: toTracks(body.tracks),
    };
    checkConsistency(values);
    const id = await this.#releases.create(db, accountId, values).catch(mapUpcTaken);
    return (await this.#releases.get(db, id))!;
  }

  async update(db: AccountDb, accountId: string, id: string, body: UpdateReleaseBody): Promise<Release> {
    if (body.artistId !== undefined) await this.#requireArtist(db, body.artistId);
    const found = await this.#releases
      .update(
        db,
        accountId,
        id,
        (current) => {
          const values: ReleaseValues = {
            artistId: body.artistId ?? current.artistId,
            title: body.title ?? current.title,
            upc: body.upc ?? current.upc,
            releaseInstant: body.releaseInstant
              ? new Date(body.releaseInstant)
              : body.releaseDate
                ? zonedMidnight(body.releaseDate)
                : new Date(current.releaseInstant),
            preorder: body.preorder ?? current.preorder,
            preorderStartsAt:
              body.preorderStartsAt !== undefined
                ? body.preorderStartsAt
                  ? new Date(body.preorderStartsAt)
                  : null
                : current.preorderStartsAt
                  ? new Date(current.preorderStartsAt)
                  : null,
            downloadLimit: body.downloadLimit ?? current.downloadLimit,
            downloadExpiryDays: body.downloadExpiryDays ?? current.downloadExpiryDays,
            territories: body.territories ? [...new Set(body.territories)] : current.territories,
            tracks: body.tracks
              ? toTracks(body.tracks)
              : current.tracks.map((t) => ({
                  ...t,
                  releaseInstant: t.releaseInstant ? new Date(t.releaseInstant) : null,
                })),
          };
          checkConsistency(values);
          return values;
        },
        body.tracks !== undefined,
      )
      .catch(mapUpcTaken);
    if (!found) throw notFound('Release');
    return (await this.#releases.get(db, id))!;
  }

  async #requireArtist(db: AccountDb, artistId: string) {
    if (!(await this.#artists.exists(db, artistId))) throw notFound('Artist');
  }
}

const toTracks = (tracks: TrackInput[]) =>
  tracks.map((t) => ({
    position: t.position,
    title: t.title,
    isrc: t.isrc,
    releaseInstant: t.releaseInstant ? new Date(t.releaseInstant) : null,
  }));

/** Rules that span fields (and, on update, the stored values). */
function checkConsistency(values: ReleaseValues) {
  if (values.preorderStartsAt && values.preorderStartsAt >= values.releaseInstant) {
    throw unprocessable('invalid_preorder_window', 'The pre-order window must open before the release instant');
  }
  if (values.preorderStartsAt && !values.preorder) {
    throw unprocessable('invalid_preorder_window', 'A pre-order window needs preorder: true');
  }
  const positions = new Set(values.tracks.map((t) => t.position));
  if (positions.size !== values.tracks.length)
    throw unprocessable('duplicate_track_position', 'Track positions must be unique');
  const isrcs = new Set(values.tracks.map((t) => t.isrc));
  if (isrcs.size !== values.tracks.length) throw unprocessable('duplicate_isrc', 'A release lists each ISRC once');
  for (const t of values.tracks) {
    if (t.releaseInstant && t.releaseInstant > values.releaseInstant) {
      throw unprocessable(
        'invalid_track_instant',
        'A track cannot be released after its release',
        `track ${t.position}`,
      );
    }
  }
}

function mapUpcTaken(error: unknown): never {
  // Only ever about the caller's own account: another account's release with the UPC is a conflict ops
  // resolves (upc_conflict), never an answer here.
  if (error instanceof UpcTakenError)
    throw new ProblemError(409, 'upc_taken', 'This account already has a release with this UPC/EAN');
  if (error instanceof TrackInUseError) {
    // A track is its ISRC: leaving one out of `tracks` removes it, which a track sale (a grant or a
    // product mapping of it) forbids. Reordering or retitling keeps the ISRC and is always allowed.
    throw new ProblemError(409, 'track_in_use', 'A track sold on its own cannot be removed from its release', {
      detail:
        error.isrcs.length > 0
          ? `a grant or product mapping points at ${error.isrcs.join(', ')}: keep it in tracks (any position)`
          : 'a grant or product mapping points at a removed track: keep it in tracks (any position)',
    });
  }
  throw error;
}
