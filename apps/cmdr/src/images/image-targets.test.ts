import { describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { loadWorkspace } from '../projects.ts';
import { cmdr, REPO_ROOT } from '../test-support/run.ts';
import { imageTargets } from './images.ts';

// --registry and $CMDR_REGISTRY override projects.yaml's registry and are held to the same rules: before, any
// string went through (a trailing slash was stripped, a port of 99999 kept) and `cmdr images build` started
// building every image, minutes each, before buildah refused the name. Nothing here reaches buildah: the
// refusal comes before the first build.
describe('images: the registry given on the command line or in $CMDR_REGISTRY', () => {
  const ws = loadWorkspace(REPO_ROOT);

  it.each([
    ['HTTPS://reg.example/single', /no scheme/],
    ['reg.example/', /a path after the host|no trailing slash/],
    ['reg.example', /a path after the host/],
    ['reg.example:99999/single', /a port from 1 to 65535 \(99999\)/],
    ['localhost:5000/a b', /not a registry path/],
    ['', /not a registry path|a path after the host/],
  ])('%j is refused as a usage error naming the rule', (registry, reason) => {
    let error: { message: string; exitCode: number } | undefined;
    try {
      imageTargets(ws, ['artist-api'], 't1', registry);
    } catch (caught) {
      error = caught as { message: string; exitCode: number };
    }
    expect(error?.exitCode).toBe(ExitCode.usage);
    expect(error?.message).toMatch(reason);
  });

  it.each([
    '127.0.0.1:5000/single',
    'registry.gitlab.com/group/single',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/single',
  ])('%j names the images under it', (registry) => {
    expect(imageTargets(ws, ['artist-api'], 't1', registry)[0]?.reference).toBe(`${registry}/artist-api:t1`);
  });

  it('cmdr images build with a bad $CMDR_REGISTRY exits 2 before building anything', async () => {
    const run = await cmdr(['images', 'build', 'artist-api', '--tag', 't1'], { CMDR_REGISTRY: 'reg.example/' });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/invalid registry "reg\.example\/"/);
    expect(run.stdout).not.toMatch(/building/);
  });
});
