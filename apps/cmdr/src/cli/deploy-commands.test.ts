import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { findManifest, parseManifests } from '../manifests/parse.ts';
import { cmdr } from '../test-support/run.ts';

const REGISTRY = '000000000000.dkr.ecr.eu-west-1.amazonaws.com/single';

function stateFile(state: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cmdr-state-')), 'state.json');
  writeFileSync(path, JSON.stringify(state));
  return path;
}

describe('cmdr deploy --dry-run', () => {
  it('prints the rendered manifests of the environment with the tag, and changes nothing', async () => {
    const run = await cmdr(['deploy', 'webhook-dispatcher', '--env', 'production', '--tag', 'v1.4.2', '--dry-run']);
    expect(run.stderr).toContain('rendering webhook-dispatcher v1.4.2 to production');
    expect(run.code).toBe(ExitCode.ok);
    const manifests = parseManifests(run.stdout);
    const deployment = findManifest(manifests, 'Deployment', 'webhook-dispatcher');
    expect(deployment?.spec.template.spec.containers[0].image).toBe(`${REGISTRY}/webhook-dispatcher:v1.4.2`);
    expect(deployment?.spec.template.metadata.labels['tags.datadoghq.com/env']).toBe('production');
    // production values from projects.yaml, merged over the chart's defaults
    expect(findManifest(manifests, 'HorizontalPodAutoscaler')?.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(findManifest(manifests, 'IngressRoute')?.spec.routes[0].match).toContain('Host(`webhooks.single.example`)');
    expect(findManifest(manifests, 'Middleware', 'webhook-dispatcher-ratelimit')?.spec.rateLimit.average).toBe(1000);
  });

  it('--json gives the release, the helm arguments and the manifests', async () => {
    const run = await cmdr(['--json', 'deploy', 'geo-reporting', '--env', 'staging', '--tag', 'abc123', '--dry-run']);
    expect(run.code).toBe(0);
    const [result = {}] = run.json<Record<string, unknown>[]>();
    expect(result).toMatchObject({
      project: 'geo-reporting',
      env: 'staging',
      release: 'geo-reporting',
      namespace: 'single',
      kubeContext: 'single-staging',
      tag: 'abc123',
      image: `${REGISTRY}/geo-reporting:abc123`,
      dryRun: true,
    });
    expect((result.helmArgs as string[]).slice(0, 4)).toEqual([
      'template',
      'geo-reporting',
      expect.any(String),
      '--namespace',
    ]);
    expect(parseManifests(result.manifests as string).length).toBeGreaterThan(5);
  });

  it('deploys `all` in projects.yaml order, artist-api (the migrations) first', async () => {
    const run = await cmdr(['--json', 'deploy', 'all', '--env', 'staging', '--tag', 't1', '--dry-run']);
    expect(run.code).toBe(0);
    const results = run.json<{ project: string; manifests: string }[]>();
    expect(results.map((r) => r.project)).toEqual([
      'artist-api',
      'webhook-dispatcher',
      'fulfillment-worker',
      'geo-reporting',
      'dashboard',
    ]);
    expect(findManifest(parseManifests(results[0]?.manifests ?? ''), 'Job')?.metadata.name).toBe('artist-api-migrate');
  }, 30_000);

  it.each([
    [['deploy', 'nope', '--env', 'staging', '--tag', 't', '--dry-run'], ExitCode.notFound, /unknown project "nope"/],
    [['deploy', 'geo-reporting', '--env', 'qa', '--tag', 't', '--dry-run'], ExitCode.notFound, /no environment "qa"/],
    [['deploy', 'geo-reporting', '--env', 'staging', '--dry-run'], ExitCode.usage, /--tag/],
    [
      ['deploy', 'geo-reporting', '--env', 'staging', '--tag', 'bad tag!', '--dry-run'],
      ExitCode.usage,
      /invalid image tag/,
    ],
    [['deploy-everything'], ExitCode.usage, /unknown command/],
  ])('cmdr %j exits %i', async (args, code, message) => {
    const run = await cmdr(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('reports errors as JSON on stdout with --json', async () => {
    const run = await cmdr(['--json', 'deploy', 'nope', '--env', 'staging', '--tag', 't', '--dry-run']);
    expect(run.code).toBe(ExitCode.notFound);
    expect(run.json()).toEqual({ error: { message: expect.stringMatching(/unknown project/), exitCode: 3 } });
  });
});

describe('cmdr deploy (for real)', () => {
  it('exits 5 when the cluster is unreachable, after validating, and records nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmdr-kube-'));
    writeFileSync(join(dir, 'config'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    vi.stubEnv('KUBECONFIG', join(dir, 'config'));
    const state = join(dir, 'state.json');
    try {
      // A registry of a real account: projects.yaml's placeholder is refused before the cluster
      // (placeholder-registry.test.ts).
      const run = await cmdr(['deploy', 'geo-reporting', '--env', 'staging', '--tag', 'v9'], {
        CMDR_STATE_FILE: state,
        CMDR_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/single',
      });
      expect(run.code).toBe(ExitCode.unavailable);
      // The cluster check comes before helm upgrade: it names the context the kubeconfig lacks.
      expect(run.stderr).toContain('kube context "single-staging" does not exist in the kubeconfig');
      expect(existsSync(state)).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('cmdr promote --dry-run', () => {
  it('renders production with exactly the tag running in staging', async () => {
    const state = stateFile({
      staging: {
        'artist-api': { tag: 'rc-2026.11.20', deployedAt: '2026-11-20T10:00:00Z', chart: 'charts/artist-api' },
      },
    });
    const run = await cmdr(
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
      { CMDR_STATE_FILE: state },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = run.json<{ tag: string; env: string; from: string; manifests: string }>();
    expect(result).toMatchObject({ tag: 'rc-2026.11.20', env: 'production', from: 'staging' });
    const manifests = parseManifests(result.manifests);
    const deployment = findManifest(manifests, 'Deployment', 'artist-api');
    expect(deployment?.spec.template.spec.containers[0].image).toBe(`${REGISTRY}/artist-api:rc-2026.11.20`);
    expect(deployment?.metadata.labels?.['tags.datadoghq.com/env']).toBe('production');
    expect(findManifest(manifests, 'IngressRoute')?.spec.routes[0].match).toContain('Host(`api.single.example`)');
    expect(findManifest(manifests, 'Job')?.spec.template.spec.containers[0].image).toBe(
      `${REGISTRY}/artist-api:rc-2026.11.20`,
    );
  });

  it('prints the manifests without --json', async () => {
    const state = stateFile({
      staging: { 'geo-reporting': { tag: 'g7', deployedAt: '2026-11-20T10:00:00Z', chart: 'charts/geo-reporting' } },
    });
    const run = await cmdr(
      ['promote', 'geo-reporting', '--from', 'staging', '--to', 'production', '--dry-run', '--tag-source', 'state'],
      {
        CMDR_STATE_FILE: state,
      },
    );
    expect(run.code).toBe(0);
    expect(findManifest(parseManifests(run.stdout), 'Deployment')?.spec.template.spec.containers[0].image).toBe(
      `${REGISTRY}/geo-reporting:g7`,
    );
  });

  it('refuses when nothing is recorded in the source environment (exit 4)', async () => {
    const run = await cmdr(
      ['promote', 'geo-reporting', '--from', 'staging', '--to', 'production', '--dry-run', '--tag-source', 'state'],
      {
        CMDR_STATE_FILE: stateFile({}),
      },
    );
    expect(run.code).toBe(ExitCode.conflict);
    expect(run.stderr).toMatch(/nothing recorded for geo-reporting in staging/);
    expect(run.stdout).toBe('');
  });

  it('rejects promoting an environment onto itself and an unknown tag source', async () => {
    expect((await cmdr(['promote', 'geo-reporting', '--from', 'staging', '--to', 'staging', '--dry-run'])).code).toBe(
      ExitCode.usage,
    );
    expect(
      (await cmdr(['promote', 'geo-reporting', '--from', 'staging', '--to', 'production', '--tag-source', 'guess']))
        .code,
    ).toBe(ExitCode.usage);
  });
});

describe('cmdr promote all', () => {
  const PROJECTS = ['artist-api', 'webhook-dispatcher', 'fulfillment-worker', 'geo-reporting', 'dashboard'];
  const digest = (i: number) => `sha256:${String(i).repeat(64)}`;
  const staged = (tag: (project: string) => string, skip?: string) =>
    stateFile({
      staging: Object.fromEntries(
        PROJECTS.filter((p) => p !== skip).map((project, i) => [
          project,
          {
            tag: tag(project),
            repository: `registry.example/single/${project}`,
            digest: digest(i + 1),
            deployedAt: '2026-12-07T06:00:00Z',
            chart: `charts/${project}`,
          },
        ]),
      ),
    });
  const promoteAll = (state: string, extra: string[] = []) =>
    cmdr(
      [
        '--json',
        'promote',
        'all',
        '--from',
        'staging',
        '--to',
        'production',
        '--tag-source',
        'state',
        '--expect-tag',
        'c0ffee1',
        ...extra,
      ],
      { CMDR_STATE_FILE: state },
    );
  // No cluster at all: promoting project by project would fail (exit 5) on the first one's cluster check.
  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), 'cmdr-kube-'));
    writeFileSync(join(dir, 'config'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    vi.stubEnv('KUBECONFIG', join(dir, 'config'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("renders every project in projects.yaml order with the digest staging's record pins", async () => {
    const run = await promoteAll(
      staged(() => 'c0ffee1'),
      ['--dry-run'],
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = run.json<{ project: string; tag: string; env: string; image: string; manifests: string }[]>();
    expect(results.map((r) => r.project)).toEqual(PROJECTS);
    results.forEach((r, i) => {
      expect(r).toMatchObject({ tag: 'c0ffee1', env: 'production' });
      expect(r.image).toBe(`registry.example/single/${r.project}@${digest(i + 1)}`);
      const deployment = findManifest(parseManifests(r.manifests), 'Deployment', r.project);
      expect(deployment?.spec.template.spec.containers[0].image).toBe(r.image);
    });
  }, 60_000);

  it("refuses, before touching any cluster, when one project runs another tag than the pipeline's", async () => {
    const run = await promoteAll(staged((p) => (p === 'geo-reporting' ? 'bad0bad' : 'c0ffee1')));
    expect(run.code).toBe(ExitCode.conflict);
    expect(run.json()).toEqual({
      error: { message: 'geo-reporting runs bad0bad in staging, not c0ffee1: nothing promoted', exitCode: 4 },
    });
  }, 60_000);

  it('refuses, before touching any cluster, when a project has no record in the source', async () => {
    const run = await promoteAll(staged(() => 'c0ffee1', 'dashboard'));
    expect(run.code).toBe(ExitCode.conflict);
    expect(run.stdout).toMatch(/nothing recorded for dashboard in staging/);
  }, 60_000);
});

describe('cmdr charts check', () => {
  it('checks every chart and environment and exits 0', async () => {
    const run = await cmdr(['--json', 'charts', 'check']);
    expect(run.code).toBe(0);
    const results = run.json<{ project: string; env: string; problems: string[] }[]>();
    expect(results.map((r) => `${r.project}/${r.env}`)).toContain('fulfillment-worker/production');
    expect(results.every((r) => r.problems.length === 0)).toBe(true);
  }, 120_000);
});
