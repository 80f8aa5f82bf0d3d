import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';

// The deploy record promote reads (CD: deploy-staging's artifact) and the images record deploy reads are files
// another job wrote: truncated, emptied or hand-edited, they are refused naming the file and what is wrong
// (exit 6), never a JSON parser's message or a TypeError with exit 1. Seen failing on the old readers.
function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cmdr-record-')), 'record.json');
  writeFileSync(path, text);
  return path;
}

const promote = (state: string) =>
  cmdr(['promote', 'artist-api', '--from', 'staging', '--to', 'production', '--tag-source', 'state', '--dry-run'], {
    CMDR_STATE_FILE: state,
  });

describe('a damaged deploy or images record', () => {
  it.each([
    ['{garbage', /is not a deploy record: not JSON/],
    ['null', /is not a deploy record/],
    ['{"staging":{"artist-api":{"tag":5,"deployedAt":"x","chart":"y"}}}', /deploy record at staging\.artist-api\.tag/],
    [
      '{"staging":{"artist-api":{"tag":"abc","digest":"sha256:zz","repository":"r.example/s/a","deployedAt":"x","chart":"y"}}}',
      /staging\.artist-api\.digest: a digest is sha256/,
    ],
  ])('promote refuses state %s with exit 6, naming the file', async (text, reason) => {
    const path = file(text);
    const run = await promote(path);
    expect(run.code).toBe(ExitCode.invalid);
    expect(run.stderr).toContain(path);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).not.toMatch(/Cannot read properties|^cmdr: Expected/m);
  });

  it('deploy refuses an images record that is not JSON with exit 6, naming the file', async () => {
    const path = file('{bad');
    const run = await cmdr(['deploy', 'artist-api', '--env', 'staging', '--tag', 'abc', '--dry-run'], {
      CMDR_IMAGES_FILE: path,
    });
    expect(run.code).toBe(ExitCode.invalid);
    expect(run.stderr).toContain(`${path} is not an images record: not JSON`);
  });
});

describe('a record naming another app’s image', () => {
  it('promote refuses it with exit 4 before rendering (it would run dashboard as artist-api)', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const path = file(
      JSON.stringify({
        staging: {
          'artist-api': {
            tag: 'rc1',
            repository: 'registry.example/single/dashboard',
            digest,
            deployedAt: '2026-12-07T06:00:00Z',
            chart: 'charts/artist-api',
          },
        },
      }),
    );
    const run = await promote(path);
    expect(run.code).toBe(ExitCode.conflict);
    expect(run.stderr).toContain(`registry.example/single/dashboard@${digest}, not an image of artist-api`);
  });
});
