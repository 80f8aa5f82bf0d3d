import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/run.ts';

// docker/build-images.sh's size gate is image_size_problem (docker/image-size.sh), run here by bash on sizes
// given in bytes, without building an image: an image must be under 200 MB compressed (what a node pulls) and
// under 200 MB uncompressed (its file system on the node, issue 18's target). Before, only the compressed size
// was gated: a 212 MB image passed at 81 MB compressed.
function gate(
  app: string,
  compressed: number | string,
  uncompressed: number | string,
  env: Record<string, string> = {},
) {
  const run = spawnSync(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      'source docker/image-size.sh && image_size_problem "$@"',
      'gate',
      app,
      String(compressed),
      String(uncompressed),
    ],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    },
  );
  return { code: run.status, out: run.stdout.trim(), err: run.stderr };
}

describe('the image size gate (docker/image-size.sh)', () => {
  it('passes an image under both limits, silently', () => {
    expect(gate('geo-reporting', 81_234_567, 194_000_000)).toEqual({ code: 0, out: '', err: '' });
    expect(gate('artist-api', 199_999_999, 199_999_999).code).toBe(0);
  });

  it('fails an image of 200 MB or more uncompressed, naming it and both figures', () => {
    expect(gate('geo-reporting', 81_234_567, 212_345_678)).toEqual({
      code: 1,
      out: 'geo-reporting: the image is 81.2 MB compressed and 212.3 MB uncompressed; it must be under 200 MB uncompressed',
      err: '',
    });
    expect(gate('artist-api', 59_000_000, 200_000_000).code).toBe(1);
  });

  it('fails an image of 200 MB or more compressed, and names both limits when both are reached', () => {
    expect(gate('dashboard', 200_000_000, 154_000_000).out).toBe(
      'dashboard: the image is 200.0 MB compressed and 154.0 MB uncompressed; it must be under 200 MB compressed',
    );
    expect(gate('dashboard', 250_000_000, 600_000_000)).toMatchObject({
      code: 1,
      out: 'dashboard: the image is 250.0 MB compressed and 600.0 MB uncompressed; it must be under 200 MB compressed and under 200 MB uncompressed',
    });
  });

  it('takes its limits from SINGLE_IMAGE_MAX_MB and SINGLE_IMAGE_MAX_UNCOMPRESSED_MB', () => {
    expect(gate('geo-reporting', 81_000_000, 212_000_000, { SINGLE_IMAGE_MAX_UNCOMPRESSED_MB: '250' }).code).toBe(0);
    expect(gate('geo-reporting', 81_000_000, 194_000_000, { SINGLE_IMAGE_MAX_MB: '80' }).out).toBe(
      'geo-reporting: the image is 81.0 MB compressed and 194.0 MB uncompressed; it must be under 80 MB compressed',
    );
  });

  it('fails a size that is not a number of bytes (a failed measurement never passes)', () => {
    expect(gate('artist-api', '', 100)).toMatchObject({
      code: 2,
      out: expect.stringContaining("artist-api: the image's size is unknown"),
    });
    expect(gate('artist-api', '  81234567', '194000000\n').code).toBe(0); // wc -c's padding is not a failure
  });

  it('is the decision build-images.sh takes, on the sizes it measures in bytes', () => {
    const script = readFileSync(join(REPO_ROOT, 'docker/build-images.sh'), 'utf8');
    expect(script).toContain('source docker/image-size.sh');
    expect(script).toMatch(/size_bytes=\$\(du -sb "\$rootfs" \| cut -f1\)/);
    expect(script).toMatch(/pull_bytes=\$\(tar -C "\$rootfs" -cf - \. \| gzip -6 \| wc -c\)/);
    expect(script).toContain('elif ! size_problem=$(image_size_problem "$app" "$pull_bytes" "$size_bytes"); then');
    expect(script).toContain('log "✗ $size_problem"');
    // No other size comparison decides alone.
    expect(script).not.toMatch(/\(\(\s*(pull|size)_mb\s*>=/);
  });
});
