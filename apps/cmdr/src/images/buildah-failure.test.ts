import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';

// `cmdr images build|push` with a buildah that fails: a fake `buildah` first on PATH logs each call and exits 1
// on the step it is told to ($FAKE_BUILDAH_FAIL: a word of the failing call, e.g. `APP=webhook-dispatcher`), as
// a failed RUN step or a refused push does. The command must stop there, non-zero, naming the app.
const dir = mkdtempSync(join(tmpdir(), 'cmdr-fake-buildah-'));
const calls = join(dir, 'calls.log');
const REGISTRY = 'reg.example/single';

beforeAll(() => {
  writeFileSync(
    join(dir, 'buildah'),
    `#!/bin/sh
echo "$*" >> "${calls}"
case " $* " in
  *" $FAKE_BUILDAH_FAIL "*)
    echo 'Error: building at STEP "RUN pnpm deploy": while running runtime: exit status 1' >&2
    exit 1 ;;
esac
exit 0
`,
  );
  chmodSync(join(dir, 'buildah'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(calls, { force: true });
});

function withFakeBuildah(failOn: string) {
  vi.stubEnv('PATH', `${dir}:${process.env.PATH}`);
  vi.stubEnv('FAKE_BUILDAH_FAIL', failOn);
}
const budCalls = () =>
  readFileSync(calls, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line.includes(' bud '))
    .map((line) => /APP=(\S+)/.exec(line)?.[1]);

describe('cmdr images build with a failing buildah', () => {
  it('stops at the first app whose build fails, exit 1, naming it and what was not attempted', async () => {
    withFakeBuildah('bud');
    const run = await cmdr([
      'images',
      'build',
      'artist-api',
      'webhook-dispatcher',
      '--tag',
      't1',
      '--registry',
      REGISTRY,
    ]);
    expect(run.code).toBe(ExitCode.failure);
    expect(run.stderr).toContain(
      `cmdr: build of artist-api (${REGISTRY}/artist-api:t1) failed; not attempted: webhook-dispatcher\n` +
        'buildah bud failed: Error: building at STEP "RUN pnpm deploy": while running runtime: exit status 1',
    );
    expect(run.stdout).not.toContain('built');
    expect(budCalls()).toEqual(['artist-api']);
    // Without a layer cache, and a failed build's containers removed: under vfs each is a full copy.
    expect(readFileSync(calls, 'utf8')).toMatch(/ bud .*--layers=false.*--force-rm/);
  });

  it('a later app failing names that app and the ones built before it', async () => {
    withFakeBuildah('APP=webhook-dispatcher');
    const run = await cmdr([
      '--json',
      'images',
      'build',
      'artist-api',
      'webhook-dispatcher',
      'geo-reporting',
      '--tag',
      't1',
      '--registry',
      REGISTRY,
    ]);
    expect(run.code).toBe(ExitCode.failure);
    expect(run.json<{ error: { message: string; exitCode: number } }>().error).toEqual({
      message: expect.stringMatching(
        /^build of webhook-dispatcher \(reg\.example\/single\/webhook-dispatcher:t1\) failed; built before it: artist-api; not attempted: geo-reporting\nbuildah bud failed: /,
      ),
      exitCode: ExitCode.failure,
    });
    expect(budCalls()).toEqual(['artist-api', 'webhook-dispatcher']);
  });
});

describe('cmdr images push with a failing buildah', () => {
  it('stops at the app whose push fails, naming it, and records nothing for it', async () => {
    withFakeBuildah('push');
    const record = join(dir, 'images.json');
    const run = await cmdr(['images', 'push', 'dashboard', 'geo-reporting', '--tag', 't1', '--registry', REGISTRY], {
      CMDR_IMAGES_FILE: record,
    });
    expect(run.code).toBe(ExitCode.unavailable);
    expect(run.stderr).toMatch(
      /^cmdr: push of dashboard \(reg\.example\/single\/dashboard:t1\) failed; not attempted: geo-reporting\nbuildah push failed: /m,
    );
    expect(existsSync(record)).toBe(false);
  });
});
