import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { findManifest, parseManifests } from '../manifests/parse.ts';
import { type LocalRegistry, startRegistry } from '../test-support/registry.ts';
import { cmdr } from '../test-support/run.ts';
import { buildah } from './buildah.ts';
import { readImages } from './record.ts';

// `cmdr images push` against a real registry started here, then pulled back by digest. The app images
// themselves are pushed, pulled by digest and run with a read-only root by docker/registry-check.sh (a CI
// step after docker/build-images.sh); this test uses a one-file image so that it takes seconds.

const OCI_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

let registry: LocalRegistry;
let scratch: string;
let recordFile: string;
const run = Date.now().toString(36);
const tag = `it-${run}`;
const created: string[] = [];

/** A one-file image, committed locally under `reference`; the file's text tells images apart. */
async function tinyImage(reference: string, text: string): Promise<void> {
  const file = join(scratch, 'release.txt');
  writeFileSync(file, text);
  const ctr = (await buildah(['from', 'scratch'])).stdout.trim();
  try {
    await buildah(['copy', ctr, file, '/release.txt']);
    await buildah(['config', '--label', `single.test=${run}`, ctr]);
    await buildah(['commit', '--quiet', ctr, reference]);
    created.push(reference);
  } finally {
    await buildah(['rm', ctr]);
  }
}

/** The text of /release.txt in a local image. */
async function releaseText(reference: string): Promise<string> {
  const ctr = (await buildah(['from', '--pull=never', reference])).stdout.trim();
  try {
    const mount = (await buildah(['mount', ctr])).stdout.trim();
    return readFileSync(join(mount, 'release.txt'), 'utf8');
  } finally {
    await buildah(['rm', ctr]);
  }
}

beforeAll(async () => {
  registry = await startRegistry();
  scratch = mkdtempSync(join(tmpdir(), 'cmdr-images-'));
  recordFile = join(scratch, 'images.json');
}, 900_000);

afterAll(async () => {
  for (const reference of created) await buildah(['rmi', '--force', reference]).catch(() => undefined);
  await registry?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('cmdr images push against a real registry', () => {
  it('records the digest the registry serves, which pulls back the pushed image even after the tag moves; deploy and promote pin it', async () => {
    const base = `${registry.address}/single`;
    const repository = `${base}/artist-api`;
    await tinyImage(`${repository}:${tag}`, `first ${run}`);
    const env = { CMDR_IMAGES_FILE: recordFile };
    const push = () =>
      cmdr(['--json', 'images', 'push', 'artist-api', '--tag', tag, '--registry', base, '--insecure-registry'], env);

    const first = await push();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const [pushed] =
      first.json<{ project: string; repository: string; tag: string; digest: string; image: string }[]>();
    expect(pushed).toMatchObject({ project: 'artist-api', repository, tag });
    expect(pushed?.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    const digest = pushed?.digest ?? '';
    expect(pushed?.image).toBe(`${repository}@${digest}`);
    expect(readImages(recordFile)[tag]?.['artist-api']).toMatchObject({ repository, tag, digest });

    // The registry's own answer for the tag is that digest.
    const manifest = await fetch(`http://${registry.address}/v2/single/artist-api/manifests/${tag}`, {
      headers: { accept: OCI_ACCEPT },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(digest);

    // Pulled back by digest, with the local copy gone: the same bytes.
    await buildah(['rmi', '--force', `${repository}:${tag}`]);
    await buildah(['pull', '--quiet', '--tls-verify=false', `${repository}@${digest}`]);
    created.push(`${repository}@${digest}`);
    expect(await releaseText(`${repository}@${digest}`)).toBe(`first ${run}`);

    // The tag is pushed again with other content: the tag moves, the recorded digest is replaced, and
    // the first digest still names the first image.
    await tinyImage(`${repository}:${tag}`, `second ${run}`);
    const second = await push();
    expect(second.code).toBe(0);
    const moved = second.json<{ digest: string }[]>()[0]?.digest ?? '';
    expect(moved).not.toBe(digest);
    expect(readImages(recordFile)[tag]?.['artist-api']?.digest).toBe(moved);
    await buildah(['pull', '--quiet', '--tls-verify=false', `${repository}@${digest}`]);
    expect(await releaseText(`${repository}@${digest}`)).toBe(`first ${run}`);

    // deploy pins the recorded digest in every pod of the release (the app and the migration Job).
    const dry = await cmdr(['--json', 'deploy', 'artist-api', '--env', 'staging', '--tag', tag, '--dry-run'], env);
    expect(dry.code).toBe(0);
    const deployed = dry.json<{ image: string; digest: string; manifests: string }[]>()[0];
    expect(deployed).toMatchObject({ image: `${repository}@${moved}`, digest: moved });
    const manifests = parseManifests(deployed?.manifests ?? '');
    expect(findManifest(manifests, 'Deployment', 'artist-api')?.spec.template.spec.containers[0].image).toBe(
      `${repository}@${moved}`,
    );
    expect(findManifest(manifests, 'Job')?.spec.template.spec.containers[0].image).toBe(`${repository}@${moved}`);

    // promote copies the digest running in staging, not what the tag names now (the record says `moved`).
    const state = join(scratch, 'state.json');
    writeFileSync(
      state,
      JSON.stringify({
        staging: {
          'artist-api': { tag, repository, digest, deployedAt: new Date().toISOString(), chart: 'charts/artist-api' },
        },
      }),
    );
    const promoted = await cmdr(
      [
        '--json',
        'promote',
        'artist-api',
        '--from',
        'staging',
        '--to',
        'production',
        '--dry-run',
        '--tag-source',
        'state',
      ],
      { ...env, CMDR_STATE_FILE: state },
    );
    expect(promoted.code).toBe(0);
    const result = promoted.json<{ image: string; manifests: string }>();
    expect(result.image).toBe(`${repository}@${digest}`);
    expect(
      findManifest(parseManifests(result.manifests), 'Deployment', 'artist-api')?.spec.template.spec.containers[0]
        .image,
    ).toBe(`${repository}@${digest}`);
  }, 300_000);

  it('names the registry it could not reach (exit 5)', async () => {
    await tinyImage(`127.0.0.1:9/single/artist-api:${tag}`, 'unreachable');
    const run = await cmdr(
      ['images', 'push', 'artist-api', '--tag', tag, '--registry', '127.0.0.1:9/single', '--insecure-registry'],
      { CMDR_IMAGES_FILE: recordFile },
    );
    expect(run.code).toBe(ExitCode.unavailable);
    expect(run.stderr).toContain('127.0.0.1:9');
  }, 120_000);
});
