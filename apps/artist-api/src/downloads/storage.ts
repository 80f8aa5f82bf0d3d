import { stat } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export const DOWNLOAD_FORMATS = ['mp3', 'wav', 'flac', 'alac'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

/** A track as a file: its ISRC names the stored object (its identity); its position names the download. */
export interface AudioTrack {
  isrc: string;
  position: number;
}

/** One file a grant can deliver: the release's archive (all tracks) or one track of it. */
export interface AudioFile {
  releaseId: string;
  format: DownloadFormat;
  /** The track; null = the release archive. */
  track: AudioTrack | null;
}

/** A track's own file per format: ALAC lives in an MP4 container (.m4a). */
const TRACK_FILES: Record<DownloadFormat, { extension: string; contentType: string }> = {
  mp3: { extension: 'mp3', contentType: 'audio/mpeg' },
  wav: { extension: 'wav', contentType: 'audio/wav' },
  flac: { extension: 'flac', contentType: 'audio/flac' },
  alac: { extension: 'm4a', contentType: 'audio/mp4' },
};

export const fileExtension = (file: Pick<AudioFile, 'format' | 'track'>) =>
  file.track === null ? 'zip' : TRACK_FILES[file.format].extension;

export const contentTypeOf = (file: Pick<AudioFile, 'format' | 'track'>) =>
  file.track === null ? 'application/zip' : TRACK_FILES[file.format].contentType;

/**
 * The storage layout, shared by the bucket and the local folder:
 * - `<releaseId>/<format>.zip`: the release archive, served from the release instant;
 * - `<releaseId>/tracks/<ISRC>/<format>.<mp3|wav|flac|m4a>`: one track, served from the track's own
 *   instant (so an "instant grat" track can be delivered without the archive that holds the rest). Keyed
 *   by ISRC, the track's identity, not by its position: reordering a release's tracks must not make a
 *   position serve another track's audio. ISRCs are stored normalised (12 upper-case letters and digits).
 */
export function objectKey(file: AudioFile): string {
  return file.track === null
    ? `${file.releaseId}/${file.format}.zip`
    : `${file.releaseId}/tracks/${file.track.isrc}/${file.format}.${fileExtension(file)}`;
}

/** Where the bytes of a counted download come from. */
export type DownloadTarget =
  /** A short-lived presigned URL (S3): the bucket serves the bytes, range requests included. */
  | { kind: 'redirect'; url: string }
  /** A file under `root` that the API sends itself (local folder), range requests included. */
  | { kind: 'local'; root: string; key: string; size: number };

export interface AudioStorage {
  /**
   * Where the file is, ready to send; undefined when it is missing (checked before a download is counted).
   * `filename` is the name the fan's browser saves it under.
   */
  open(file: AudioFile, filename: string): Promise<DownloadTarget | undefined>;
  /** The release's cover art (`<releaseId>/artwork.jpg`, beside its audio); undefined when there is none. */
  artwork?(releaseId: string): Promise<DownloadTarget | undefined>;
}

/** Where a release's cover art is stored, beside its audio. */
export const artworkKey = (releaseId: string) => `${releaseId}/artwork.jpg`;

const contentDisposition = (filename: string) =>
  `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/** The local folder (AUDIO_STORAGE_DIR) for machines without a bucket: the file is streamed by the API. */
export function localAudioStorage(root: string): AudioStorage {
  const base = path.resolve(root);
  return {
    async open(file) {
      const key = objectKey(file);
      const full = path.join(base, key);
      if (!full.startsWith(`${base}${path.sep}`)) return undefined; // ids are uuids; belt and braces
      const info = await stat(full).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return { kind: 'local', root: base, key, size: info.size };
    },
    async artwork(releaseId) {
      const key = artworkKey(releaseId);
      const info = await stat(path.join(base, key)).catch(() => undefined);
      return info?.isFile() ? { kind: 'local', root: base, key, size: info.size } : undefined;
    },
  };
}

export interface S3StorageOptions {
  bucket: string;
  client: S3Client;
  /** Lifetime of the presigned URL. */
  expiresInSeconds: number;
}

/**
 * S3: the fan is redirected to a short-lived presigned GET (signed locally by the AWS SDK v3 presigner, no
 * network call), which names the download file through response-content-disposition. Existence is not
 * checked (that would be a network call per download); uploads are the catalogue pipeline's guarantee.
 */
export function s3AudioStorage(options: S3StorageOptions): AudioStorage {
  return {
    async open(file, filename) {
      const command = new GetObjectCommand({
        Bucket: options.bucket,
        Key: objectKey(file),
        ResponseContentDisposition: contentDisposition(filename),
        ResponseContentType: contentTypeOf(file),
      });
      return {
        kind: 'redirect',
        url: await getSignedUrl(options.client, command, { expiresIn: options.expiresInSeconds }),
      };
    },
    async artwork(releaseId) {
      const command = new GetObjectCommand({ Bucket: options.bucket, Key: artworkKey(releaseId) });
      return {
        kind: 'redirect',
        url: await getSignedUrl(options.client, command, { expiresIn: options.expiresInSeconds }),
      };
    },
  };
}

export function createS3Client(options: {
  region: string;
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}) {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

export { contentDisposition };
