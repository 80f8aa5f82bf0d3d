import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../test-support/run.ts';

// The image checks of CI (docker/build-images.sh, docker/registry-check.sh) take their apps from projects.yaml
// and build only those with an entry; an app they silently skipped would reach CD (`cmdr images` builds every
// project) untested. Checked on the scripts' own text, run by bash, without buildah.
const projects = (
  parse(readFileSync(join(REPO_ROOT, 'projects.yaml'), 'utf8')) as { projects: { name: string }[] }
).projects.map((p) => p.name);
const script = (file: string) => readFileSync(join(REPO_ROOT, 'docker', file), 'utf8');
const bash = (command: string, env: Record<string, string> = {}) =>
  execFileSync('bash', ['-c', command], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });

/** The app list a script reads from projects.yaml when run without arguments: its own mapfile line. */
function defaultApps(file: string): string[] {
  const line = /mapfile -t apps < <\((sed [^\n]+ projects\.yaml)\)/.exec(script(file))?.[1];
  if (!line) throw new Error(`${file}: no default app list from projects.yaml`);
  return bash(line).trim().split('\n');
}

describe('the image check scripts cover every project', () => {
  it.each(['build-images.sh', 'registry-check.sh'])('%s takes every project of projects.yaml', (file) => {
    expect(defaultApps(file)).toEqual(projects);
    expect(projects).toContain('dashboard');
  });

  it('build-images.sh skips none of them: each has the entry its skip test looks for', () => {
    const skip = /if \[\[ (! -f apps\/\$app[^\n]*) \]\]; then\n\s*log "skip/.exec(script('build-images.sh'))?.[1];
    if (!skip) throw new Error('build-images.sh: no skip test');
    const skipped = projects.filter((app) => bash(`if [[ ${skip} ]]; then echo skip; fi`, { app }).trim() === 'skip');
    expect(skipped).toEqual([]);
  });

  it('runs migrations only from images that ship the database package (the dashboard has none)', () => {
    for (const file of ['build-images.sh', 'registry-check.sh']) {
      expect(script(file), file).toContain('-d $rootfs/app/packages/db');
    }
    expect(existsSync(join(REPO_ROOT, 'apps/dashboard/package.json'))).toBe(true);
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/dashboard/package.json'), 'utf8'));
    expect(Object.keys(dashboard.dependencies)).not.toContain('@single/db');
  });

  it('starts every app with the secrets it requires (docker/image-run.sh start_app)', () => {
    const run = script('image-run.sh');
    for (const secret of ['SHOPIFY_WEBHOOK_SECRETS', 'DOWNLOAD_TOKEN_SECRETS', 'FAN_HASH_SECRET', 'SESSION_SECRET']) {
      expect(run).toMatch(new RegExp(`\\b${secret}=\\S{32,}`));
    }
  });
});

// docker/image-run.sh runs images as the charts run pods (capabilities drop ALL): checked here on a minimal root
// (a few coreutils and their libraries) instead of an image, as root like CI. The bounding set kept setuid, setgid
// and sys_chroot before docker/enter-root.py (unshare --root --setuid needed them after setpriv).
describe.runIf(process.getuid?.() === 0)('run_restricted (docker/image-run.sh), as root', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'restricted-root-'));
    chmodSync(root, 0o755); // as an image's root: user 10001 must get past it
    for (const dir of ['bin', 'tmp', 'proc', 'dev', 'work']) mkdirSync(join(root, dir));
    const bins = ['/bin/cat', '/bin/sleep', '/bin/pwd', '/bin/touch'];
    const libs = new Set(
      bins.flatMap((bin) =>
        [...bash(`ldd ${bin}`).matchAll(/(\/\S+\.so[.\d]*)\s/g)].map((m) => m[1]!).filter((lib) => existsSync(lib)),
      ),
    );
    for (const file of [...bins, ...libs]) {
      mkdirSync(join(root, dirname(file)), { recursive: true });
      copyFileSync(file, join(root, file));
      chmodSync(join(root, file), 0o755);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const restricted = (command: string) =>
    execFileSync('bash', ['--norc', '--noprofile', '-c', `source docker/image-run.sh; ${command}`], {
      cwd: REPO_ROOT,
      env: { ROOTFS: root, PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    });

  it('runs the command as 10001 with every capability set empty, the bounding set too, and no_new_privs', () => {
    const status = restricted('run_restricted "$ROOTFS" /work PATH=/bin -- cat /proc/self/status');
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim();
    expect(field('Uid')?.split(/\s+/)).toEqual(['10001', '10001', '10001', '10001']);
    expect(field('Gid')?.split(/\s+/)).toEqual(['10001', '10001', '10001', '10001']);
    expect(field('Groups')).toBe('');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      expect([set, field(set)]).toEqual([set, '0000000000000000']);
    }
    expect(field('NoNewPrivs')).toBe('1');
  });

  it('in the working directory of a read-only root with a writable /tmp', () => {
    expect(restricted('run_restricted "$ROOTFS" /work PATH=/bin -- pwd').trim()).toBe('/work');
    expect(restricted('run_restricted "$ROOTFS" /work PATH=/bin -- touch /work/x 2>&1; echo "exit $?"')).toMatch(
      /Read-only file system\nexit 1\n$/,
    );
    expect(restricted('run_restricted "$ROOTFS" /work PATH=/bin -- touch /tmp/x && echo ok').trim()).toBe('ok');
  });

  it('assert_restricted passes the app process of run_restricted and names what a root process still has', () => {
    const out = restricted(`
      # The process under job $1 once its exec chain (env, unshare, bash, setpriv, enter-root.py) reached sleep.
      until_sleeping() {
        for _ in $(seq 200); do
          for s in /proc/[0-9]*/stat; do
            l=$(<"$s") 2>/dev/null || continue; l=\${l##*) }; c=\${s#/proc/}; c=\${c%/stat}
            if [[ \${l#* } == "$1 "* && $(<"/proc/$c/comm") == sleep ]]; then return; fi
          done
          sleep 0.05
        done
      }
      run_restricted "$ROOTFS" / PATH=/bin -- sleep 3 & job=$!
      until_sleeping "$job"
      assert_restricted "$job"; echo "restricted: $?"
      ( sleep 2; true ) & plain=$! # a root process under a job, as start_app's
      until_sleeping "$plain"
      assert_restricted "$plain"; echo "plain: $?"
      wait`);
    expect(out).toMatch(/CapBnd: 0000000000000000;.*\nrestricted: 0\n/);
    expect(out).toContain('not as the charts run pods: uid gid CapPrm CapEff CapBnd NoNewPrivs\nplain: 1');
  });
});
