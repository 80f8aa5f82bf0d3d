import { join } from 'node:path';
import { z } from 'zod';
import { readRecordFile, writeRecordFile } from '../record-file.ts';

/** An OCI manifest digest: what a pod pins (`repository@sha256:…`) so the image cannot move under it. */
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

const pushedImageSchema = z
  .object({
    repository: z.string().min(1),
    tag: z.string().min(1),
    digest: z.string().regex(DIGEST),
    pushedAt: z.string(),
  })
  .strict();
export type PushedImage = z.infer<typeof pushedImageSchema>;

/**
 * What `cmdr images push` pushed, per tag and project: `.cmdr/images.json` at the repository root (or
 * $CMDR_IMAGES_FILE). `cmdr deploy --tag T` reads the digest of T from it; in CD the images job hands the
 * file to the deploy job as an artifact. Tags are kept side by side, so an older release can be deployed again.
 */
const recordSchema = z.record(z.string(), z.record(z.string(), pushedImageSchema));
export type ImagesRecord = z.infer<typeof recordSchema>;

export function readImages(path: string): ImagesRecord {
  return readRecordFile(path, recordSchema, 'an images record') ?? {};
}

export function recordPush(path: string, project: string, image: PushedImage): void {
  const record = readImages(path);
  record[image.tag] = { ...record[image.tag], [project]: image };
  writeRecordFile(path, record);
}

/** An image pinned by digest: the repository it was pushed to and the manifest digest there. */
export interface PinnedImage {
  repository: string;
  digest: string;
}

/** The image pushed for a project's tag, if this record has it. */
export function pushedImage(path: string, project: string, tag: string): PinnedImage | undefined {
  const pushed = readImages(path)[tag]?.[project];
  return pushed ? { repository: pushed.repository, digest: pushed.digest } : undefined;
}

/** `.cmdr/images.json` at the repository root, or $CMDR_IMAGES_FILE (CD hands it from job to job). */
export function imagesFile(env: Record<string, string | undefined>, root: string): string {
  return env.CMDR_IMAGES_FILE ?? join(root, '.cmdr', 'images.json');
}
