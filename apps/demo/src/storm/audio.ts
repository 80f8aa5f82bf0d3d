import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

/** 2026-01-01 in MS-DOS date format (a zero date shows as 1980-00-00 in archive tools). */
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

const FORMATS = ['mp3', 'wav', 'flac', 'alac'] as const;

/** A short mono 16-bit PCM WAV: a sine tone, so every demo track is a real, playable file. */
export function toneWav(frequencyHz: number, seconds = 1, sampleRate = 8_000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const fade = Math.min(1, i / 400, (samples - i) / 400);
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate) * 12_000 * fade), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A ZIP archive with stored (uncompressed) entries: what the download route serves. */
export function zipStored(entries: readonly { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const fileName = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const centralSize = centrals.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...centrals, end]);
}

/** A track's own file per format (the artist API's storage layout): ALAC in an MP4 container. */
const TRACK_EXTENSIONS = { mp3: 'mp3', wav: 'wav', flac: 'flac', alac: 'm4a' } as const;

/**
 * Writes what the artist API serves, as the catalogue pipeline would: the release archive
 * `<root>/<releaseId>/<format>.zip` and each track on its own, `<root>/<releaseId>/tracks/<ISRC>/<format>.<ext>`
 * (an "instant grat" track is delivered before the archive; keyed by ISRC, the track's identity, so a
 * reordered release still serves each track's own audio). The demo's tracks are generated tones in WAV,
 * written the same way for each format.
 */
export async function writeReleaseAudio(
  root: string,
  releaseId: string,
  tracks: readonly { title: string; isrc: string; position: number }[],
) {
  const ordered = [...tracks].sort((a, b) => a.position - b.position);
  const tones = ordered.map((_, i) => toneWav(220 * 2 ** (i / 4)));
  const archive = zipStored(
    ordered.map((track, i) => ({
      name: `${String(track.position).padStart(2, '0')} ${track.title}.wav`,
      data: tones[i]!,
    })),
  );
  await mkdir(path.join(root, releaseId), { recursive: true });
  await Promise.all(FORMATS.map((format) => writeFile(path.join(root, releaseId, `${format}.zip`), archive)));
  for (const [i, tone] of tones.entries()) {
    const dir = path.join(root, releaseId, 'tracks', ordered[i]!.isrc);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      FORMATS.map((format) => writeFile(path.join(dir, `${format}.${TRACK_EXTENSIONS[format]}`), tone)),
    );
  }
}
