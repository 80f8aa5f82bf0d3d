import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseValues } from '../deploy/deploy.ts';
import { findManifest, type Manifest } from '../manifests/parse.ts';
import { validateManifests } from '../manifests/validate.ts';
import { loadWorkspace } from '../projects.ts';
import { renderChart } from './render.ts';

// Issue 14, who may read what: production's IngressRoute sent every path of geo.single.example to
// geo-reporting, so anyone could fetch every label's chart lines. The public route now matches only the
// capture beacon; reports are reached in-cluster, with a credential the app checks. Chart files come from a
// CronJob after New York midnight, not from a GET. (The same rules as helm-unittest suites:
// charts/geo-reporting/tests/; helm-unittest is not installed here, so this test renders with helm itself.)

const ws = loadWorkspace(join(import.meta.dirname, '../../../..'));
const project = ws.file.projects.find((p) => p.name === 'geo-reporting');
if (!project) throw new Error('geo-reporting is not in projects.yaml');
const chart = join(ws.root, project.chart);
const cases = [
  { env: 'default', values: {} as Record<string, unknown> },
  ...Object.keys(project.environments).map((env) => ({
    env,
    values: releaseValues(ws, project, env, '2026.12.07-abc1234'),
  })),
];

async function render(values: Record<string, unknown>): Promise<Manifest[]> {
  const outcome = await renderChart(chart, values, { release: 'geo-reporting' });
  expect(outcome.error).toBe('');
  return outcome.manifests;
}

/** Whether a Traefik rule of the shape the chart writes, (Host(..) || ..) && (Path(..) || PathPrefix(..)), matches. */
function matches(rule: string, host: string, path: string): boolean {
  const [hosts, paths] = rule.split(' && ');
  const hostOk = [...(hosts ?? '').matchAll(/Host\(`([^`]+)`\)/g)].some((m) => m[1] === host);
  const exact = [...(paths ?? '').matchAll(/(?<!Prefix)\(`([^`]+)`\)/g)].map((m) => m[1]);
  const prefixes = [...(paths ?? '').matchAll(/PathPrefix\(`([^`]+)`\)/g)].map((m) => m[1]);
  return hostOk && (exact.includes(path) || prefixes.some((p) => p !== undefined && path.startsWith(p)));
}

describe.each(cases)('geo-reporting ($env)', ({ env, values }) => {
  it('routes only the capture beacon publicly: no report, status or metrics path matches', async () => {
    const routes = (await render(values)).filter((m) => m.kind === 'IngressRoute');
    expect(routes).toHaveLength(1);
    const host = env === 'default' ? 'geo.single.local' : (project.environments[env]?.hosts?.[0] ?? '');
    for (const route of routes) {
      for (const rule of route.spec.routes as { match: string }[]) {
        expect(rule.match).toBe(`(Host(\`${host}\`)) && (Path(\`/v1/geo/captures\`))`);
        expect(matches(rule.match, host, '/v1/geo/captures')).toBe(true);
        for (const path of [
          '/',
          '/v1/reports/chart',
          '/v1/reports/chart/preview',
          '/v1/reports/regions',
          '/v1/reports/chart-files',
          '/v1/geo/databases',
          '/v1/geo/integrity',
          '/metrics',
          '/health/ready',
          '/v1/geo/captures/../../v1/reports/chart',
        ]) {
          expect([path, matches(rule.match, host, path)]).toEqual([path, false]);
        }
      }
    }
  });

  it('makes the chart files with a CronJob after New York midnight, in the release image, with the service tokens', async () => {
    const manifests = await render(values);
    const cron = findManifest(manifests, 'CronJob', 'geo-reporting-chart-files');
    expect(cron).toBeDefined();
    const spec = cron!.spec;
    expect(spec.timeZone).toBe('America/New_York');
    const [minute, hour, ...rest] = spec.schedule.split(' ');
    expect([hour, ...rest]).toEqual(['0', '*', '*', '*']); // daily, in the hour after midnight
    // GET's readyAt says when the file exists: the ConfigMap's delay is the schedule's minute.
    const config = findManifest(manifests, 'ConfigMap', 'geo-reporting')?.data ?? {};
    expect(config.CHART_FILE_DELAY_MINUTES).toBe(minute);
    expect(spec.concurrencyPolicy).toBe('Forbid');
    const pod = spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [container] = pod.containers;
    const deployment = findManifest(manifests, 'Deployment', 'geo-reporting')!;
    expect(container.image).toBe(deployment.spec.template.spec.containers[0].image);
    expect(container.command.at(-1)).toBe('dist/produce-chart-files.js');
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'geo-reporting' } }]);
    const secrets = container.env.flatMap((e: { name: string; valueFrom?: { secretKeyRef?: object } }) =>
      e.valueFrom?.secretKeyRef ? [e.name] : [],
    );
    expect(secrets).toEqual(expect.arrayContaining(['DATABASE_URL', 'GEO_REPORTS_TOKENS']));
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(await validateManifests([cron!])).toEqual([]);
  });
});

describe('ingress paths in the values schema', () => {
  it('an HTTP ingress needs paths or pathPrefixes', async () => {
    const none = await renderChart(chart, { ingress: { enabled: true, paths: [], pathPrefixes: [] } });
    expect(none.ok).toBe(false);
    expect(none.error).toMatch(/minItems|minimum|at least|anyOf/i);
  });
});
