import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { releaseValues } from '../deploy/deploy.ts';
import { findManifest, type Manifest } from '../manifests/parse.ts';
import { loadWorkspace } from '../projects.ts';
import { REPO_ROOT } from '../test-support/run.ts';
import { renderChart } from './render.ts';

// helm renders slowly on a loaded two-core machine.
vi.setConfig({ testTimeout: 60_000 });

// Issue 18: the alerts that matter live in infra/monitors/. Each must watch a series that really reaches Datadog:
// declared by prom-client in the app (or @single/http's shared ones), let through by the chart's OpenMetrics
// annotation under the namespace the query names; with a threshold, and a runbook section that exists.

const ws = loadWorkspace(REPO_ROOT);
const monitorDir = join(REPO_ROOT, 'infra/monitors');
const runbook = readFileSync(join(REPO_ROOT, 'docs/RUNBOOK.md'), 'utf8');

interface OpenMetricsInstance {
  openmetrics_endpoint: string;
  namespace: string;
  metrics: string[];
  headers?: Record<string, string>;
}

async function render(project: (typeof ws.file.projects)[number], env: string): Promise<Manifest[]> {
  const values = env === 'default' ? {} : releaseValues(ws, project, env, 'monitors-test');
  const outcome = await renderChart(join(REPO_ROOT, project.chart), values, { release: project.name });
  expect(outcome.error).toBe('');
  return outcome.manifests;
}

/** The OpenMetrics instance the pod annotation gives the Datadog agent. */
function openMetricsOf(manifests: Manifest[], name: string): OpenMetricsInstance {
  const deployment = findManifest(manifests, 'Deployment', name);
  const annotation = deployment?.spec.template.metadata.annotations?.[`ad.datadoghq.com/${name}.checks`];
  expect(annotation, `${name}: the ad.datadoghq.com/${name}.checks annotation`).toBeTypeOf('string');
  const check = JSON.parse(annotation) as { openmetrics: { instances: OpenMetricsInstance[] } };
  expect(check.openmetrics.instances).toHaveLength(1);
  return check.openmetrics.instances[0]!;
}

/** Metric names given to prom-client (`name: '...'`) in a source tree, test files left out. */
function declaredMetrics(dir: string): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.includes('.test.')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    // Metric names have an underscore (`<subject>_<unit>`): a readiness check's `name: 'postgres'` is not one.
    for (const m of text.matchAll(/\bname: '([a-z][a-z0-9]*_[a-z0-9_]*)'/g)) names.add(m[1]!);
  }
  return names;
}

const shared = declaredMetrics(join(REPO_ROOT, 'packages/http/src'));
const QUERY =
  /^(avg|max|min|sum)\(last_(\d+)([mh])\):(avg|max|min|sum):([a-z_]+)\.([a-z0-9_.]+)\{([^}]*)\}(?: by \{([^}]*)\})? (>=|>|<=|<) (-?[\d.]+)$/;

describe('the charts annotate every app for the Datadog agent', () => {
  for (const project of ws.file.projects) {
    for (const env of ['default', ...Object.keys(project.environments)]) {
      it(`${project.name} (${env}): OpenMetrics on the container's port, /metrics kept off the public route`, async () => {
        const manifests = await render(project, env);
        const instance = openMetricsOf(manifests, project.name);
        const deployment = findManifest(manifests, 'Deployment', project.name);
        const port = deployment?.spec.template.spec.containers[0].ports[0].containerPort;
        expect(instance.openmetrics_endpoint).toBe(`http://%%host%%:${port}/metrics`);
        expect(instance.namespace).toBe(project.name.replaceAll('-', '_'));
        for (const route of manifests.filter((m) => m.kind === 'IngressRoute')) {
          for (const rule of route.spec.routes as { match: string }[]) {
            if (rule.match.includes('PathPrefix(')) expect(rule.match).toContain('&& !PathPrefix(`/metrics`)');
          }
        }
      });
    }
  }
});

describe('infra/monitors', () => {
  const files = readdirSync(monitorDir).filter((f) => f.endsWith('.json'));

  it('has the alerts that matter: backlog age, dead letters, failed emails, header-stripping', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dispatch-outbox-backlog-age.json',
        'fulfillment-outbox-backlog-age.json',
        'fulfillment-dead-letters.json',
        'fulfillment-outbox-failed.json',
        'geo-header-stripping.json',
      ]),
    );
  });

  for (const file of files) {
    it(`${file}: a metric an app exports through its chart, a threshold and a runbook section`, async () => {
      const monitor = JSON.parse(readFileSync(join(monitorDir, file), 'utf8'));
      expect(monitor.type).toBe('query alert');
      expect(monitor.name).toBeTypeOf('string');
      const query = QUERY.exec(monitor.query);
      expect(query, `${file}: query of the shape agg(last_Nm):agg:ns.metric{..} by {..} > n`).not.toBeNull();
      const [, , , , , namespace, datadogName, , , , threshold] = query!;

      // The namespace is one app's (its chart's annotation says so) ...
      const project = ws.file.projects.find((p) => p.name.replaceAll('-', '_') === namespace);
      expect(project, `${file}: no app sends metrics under ${namespace}`).toBeDefined();
      const instance = openMetricsOf(await render(project!, 'default'), project!.name);
      expect(instance.namespace).toBe(namespace);
      // ... the series is one prom-client declares there (a counter reaches Datadog as <name>.count) ...
      const counter = datadogName!.endsWith('.count');
      const name = counter ? `${datadogName!.slice(0, -'.count'.length)}_total` : datadogName!;
      const declared = new Set([...declaredMetrics(join(REPO_ROOT, 'apps', project!.name, 'src')), ...shared]);
      expect(declared, `${file}: ${name} is not declared in apps/${project!.name}/src`).toContain(name);
      // ... and the annotation lets it through.
      const raw = counter ? name.replace(/_total$/, '') : name;
      expect(
        instance.metrics.some(
          (pattern) => new RegExp(`^(?:${pattern})$`).test(raw) || new RegExp(`^(?:${pattern})$`).test(name),
        ),
        `${file}: ${name} is filtered out by the chart's metrics.include`,
      ).toBe(true);

      // A threshold, the query's own.
      expect(monitor.options.thresholds.critical).toBe(Number(threshold));
      if (monitor.options.thresholds.warning !== undefined) {
        expect(monitor.options.thresholds.warning).toBeTypeOf('number');
      }
      // A runbook line, that names this monitor back.
      const section = /docs\/RUNBOOK\.md, "([^"]+)"/.exec(monitor.message)?.[1];
      expect(section, `${file}: the message names a docs/RUNBOOK.md section`).toBeDefined();
      const heading = runbook.indexOf(`\n## ${section}\n`);
      expect(heading, `${file}: docs/RUNBOOK.md has no section "${section}"`).toBeGreaterThan(-1);
      const body = runbook.slice(heading + 1).split('\n## ')[0]!;
      expect(body).toContain(`infra/monitors/${file}`);
      expect(body).toContain(`${namespace}.${datadogName}`);
    });
  }
});
