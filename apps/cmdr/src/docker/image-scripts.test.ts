import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
