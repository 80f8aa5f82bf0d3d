import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmBinary } from '../helm/binary.ts';
import { loadWorkspace } from '../projects.ts';
import { REPO_ROOT } from '../test-support/run.ts';
import { vendoredProblems } from './vendor.ts';

// What an operator or Argo CD does with a fresh clone: plain helm on each chart, no cmdr, no
// `helm dependency build`. The copy holds only the files a clone has (tracked, or new and not ignored).
const ws = loadWorkspace(REPO_ROOT);
let copy: string;
let helmHome: string;

function helm(args: string[]) {
  const run = spawnSync(helmBinary(), args, {
    cwd: copy,
    encoding: 'utf8',
    // A machine with no helm configuration of its own: nothing cached, no repositories, no plugins.
    env: {
      PATH: process.env.PATH,
      HOME: helmHome,
      XDG_CACHE_HOME: join(helmHome, 'cache'),
      XDG_CONFIG_HOME: join(helmHome, 'config'),
      XDG_DATA_HOME: join(helmHome, 'data'),
    },
  });
  return { code: run.status, out: `${run.stdout}${run.stderr}`, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'plain-helm-repo-'));
  helmHome = mkdtempSync(join(tmpdir(), 'plain-helm-home-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'charts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(copy, file));
  }
});

afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
  rmSync(helmHome, { recursive: true, force: true });
});

describe.each(ws.file.projects.map((p) => ({ name: p.name, chart: p.chart })))(
  'plain helm: $chart',
  ({ name, chart }) => {
    it('resolves its library chart as shipped (Chart.lock and the packaged archive)', () => {
      const list = helm(['dependency', 'list', chart]);
      expect(list.code, list.out).toBe(0);
      expect(list.stdout).toMatch(/service-lib\s+0\.1\.0\s+file:\/\/\.\.\/service-lib\s+ok/);
    });

    it('passes helm lint --strict', () => {
      const lint = helm(['lint', '--strict', chart]);
      expect(lint.code, lint.out).toBe(0);
      expect(lint.out).toContain('1 chart(s) linted, 0 chart(s) failed');
    });

    it('renders with helm template, and declares Kubernetes 1.30+', () => {
      const rendered = helm(['template', name, chart, '--namespace', 'single']);
      expect(rendered.code, rendered.out).toBe(0);
      expect(rendered.stderr).toBe('');
      expect(rendered.stdout).toContain('kind: Deployment');
      const old = helm(['template', name, chart, '--kube-version', '1.29.9']);
      expect(old.code).not.toBe(0);
      expect(old.stderr).toContain(
        'chart requires kubeVersion: >=1.30.0-0 which is incompatible with Kubernetes v1.29.9',
      );
    });
  },
);

describe('vendored library charts', () => {
  it('match charts/service-lib exactly in every app chart', () => {
    for (const project of ws.file.projects) {
      expect(vendoredProblems(join(REPO_ROOT, project.chart)), project.name).toEqual([]);
    }
  });

  it('are reported stale when service-lib changes without `cmdr charts vendor`', () => {
    const chart = join(copy, 'charts/artist-api');
    const template = join(copy, 'charts/service-lib/templates/_labels.tpl');
    const original = readFileSync(template, 'utf8');
    writeFileSync(template, `${original}\n{{/* changed */}}\n`);
    try {
      expect(vendoredProblems(chart)).toEqual([
        'charts/service-lib-0.1.0.tgz: service-lib/templates/_labels.tpl differs from ../service-lib',
      ]);
    } finally {
      writeFileSync(template, original);
    }
    rmSync(join(chart, 'Chart.lock'));
    expect(vendoredProblems(chart)).toEqual(['Chart.lock is missing']);
  });
});
