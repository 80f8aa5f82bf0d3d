import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export const DOWNLOAD_FORMATS = ['mp3', 'wav', 'flac', 'alac'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

export type DownloadTarget =
  | { kind: 'redirect'; url: string }
  | { kind: 'stream'; body: Readable; size: number; filename: string; contentType: string };

/** Where the audio archives live: one zip per release and format, `<releaseId>/<format>.zip`. */
export interface AudioStorage {
  /** The archive, ready to send; undefined when it is missing (checked before a download is counted). */
  open(releaseId: string, format: DownloadFormat, filename: string): Promise<DownloadTarget | undefined>;
}

export const objectKey = (releaseId: string, format: DownloadFormat) => `${releaseId}/${format}.zip`;

const contentDisposition = (filename: string) =>
  `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/** The local folder (AUDIO_STORAGE_DIR) for machines without a bucket: the file is streamed by the API. */
export function localAudioStorage(root: string): AudioStorage {
  const base = path.resolve(root);
  return {
    async open(releaseId, format, filename) {
      const file = path.join(base, objectKey(releaseId, format));
      if (!file.startsWith(`${base}${path.sep}`)) return undefined; // ids are uuids; belt and braces
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return {
        kind: 'stream',
        body: createReadStream(file),
        size: info.size,
        filename,
        contentType: 'application/zip',
      };
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
    async open(releaseId, format, filename) {
      const command = new GetObjectCommand({
        Bucket: options.bucket,
        Key: objectKey(releaseId, format),
        ResponseContentDisposition: contentDisposition(filename),
        ResponseContentType: 'application/zip',
      });
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
