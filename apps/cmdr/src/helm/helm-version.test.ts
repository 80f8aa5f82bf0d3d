import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/run.ts';

// cmdr passes flags only Helm 4 has; with a Helm 3 on the machine it must say so before running it,
// not fail later with helm's "unknown flag".
const dir = mkdtempSync(join(tmpdir(), 'fake-helm-'));
const fakeHelm = join(dir, 'helm');
writeFileSync(
  fakeHelm,
  `#!/bin/sh
if [ "$1" = version ]; then echo v3.16.4; exit 0; fi
echo "Error: unknown flag: --rollback-on-failure" >&2
exit 1
`,
);
chmodSync(fakeHelm, 0o755);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cmdrProcess(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--conditions=source', join(REPO_ROOT, 'apps/cmdr/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

describe('the helm cmdr finds', () => {
  it('is refused, naming Helm 4 and the helm it found, when it is Helm 3', () => {
    const run = cmdrProcess(['deploy', 'artist-api', '--env', 'staging', '--tag', 't1', '--dry-run'], {
      HELM_BIN: fakeHelm,
    });
    expect(run.status).toBe(5);
    expect(run.stderr).toContain('cmdr needs Helm 4');
    expect(run.stderr).toContain(`${fakeHelm} (HELM_BIN) is v3.16.4`);
    expect(run.stderr).not.toContain('unknown flag');
  }, 30_000);

  it('is refused when it does not answer `helm version`', () => {
    const run = cmdrProcess(['charts', 'check'], { HELM_BIN: join(dir, 'no-such-helm') });
    expect(run.status).toBe(5);
    expect(run.stderr).toContain(`cmdr needs Helm 4, and ${join(dir, 'no-such-helm')} (HELM_BIN) did not answer`);
  }, 30_000);
});
