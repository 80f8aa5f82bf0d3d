import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mergeValues, releaseValues } from '../deploy/deploy.ts';
import { findManifest, type Manifest } from '../manifests/parse.ts';
import { validateManifests } from '../manifests/validate.ts';
import { loadWorkspace } from '../projects.ts';
import { checkCharts } from './check.ts';
import { renderChart } from './render.ts';

const ws = loadWorkspace(join(import.meta.dirname, '../../../..'));
const chartDir = (name: string) => join(ws.root, 'charts', name);
const TAG = '2026.11.20-abc1234';

/** Every (project, environment) of projects.yaml, plus each chart on its own defaults. */
const cases = ws.file.projects.flatMap((project) => [
  { project, env: 'default', values: {} as Record<string, unknown>, tag: 'dev' },
  ...Object.keys(project.environments).map((env) => ({
    project,
    env,
    values: releaseValues(ws, project, env, TAG),
    tag: TAG,
  })),
]);

/** What connecting a store needs per app (their config schemas): Secret keys, and non-secret URLs. */
const SHOPIFY_NEEDS: Record<string, { secrets: string[]; config: string[] }> = {
  'artist-api': {
    secrets: ['SHOPIFY_CLIENT_ID', 'SHOPIFY_CLIENT_SECRET', 'SHOP_TOKEN_KEYS'],
    config: ['SHOPIFY_WEBHOOK_URL', 'SHOPIFY_INSTALL_RETURN_URL'],
  },
  'fulfillment-worker': { secrets: ['SHOP_TOKEN_KEYS'], config: [] },
};

async function render(chart: string, values: Record<string, unknown>): Promise<Manifest[]> {
  const outcome = await renderChart(chartDir(chart), values, { release: chart });
  expect(outcome.error).toBe('');
  expect(outcome.ok).toBe(true);
  return outcome.manifests;
}

function must(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = findManifest(manifests, kind, name);
  if (found === undefined) throw new Error(`${kind} ${name ?? ''} not rendered`);
  return found;
}

describe('charts: lint, render and validate every chart for every environment', () => {
  it('passes helm lint --strict and the Kubernetes + Traefik schemas everywhere', async () => {
    const results = await checkCharts(ws, { tag: TAG });
    expect(results).toHaveLength(cases.length);
    for (const result of results) {
      expect(result, `${result.project}/${result.env}`).toMatchObject({ lint: true, render: true, problems: [] });
      expect(result.objects).toBeGreaterThan(5);
    }
  }, 120_000);

  it('shares one values schema, closed at the root, across every app chart', () => {
    const shared = readFileSync(join(ws.root, 'charts/service-lib/app-values.schema.json'), 'utf8');
    expect(JSON.parse(shared).additionalProperties).toBe(false);
    for (const project of ws.file.projects) {
      expect(readFileSync(join(ws.root, project.chart, 'values.schema.json'), 'utf8'), project.name).toBe(shared);
    }
  });
});

describe.each(cases)('$project.name ($env)', ({ project, env, values, tag }) => {
  const name = project.name;

  it('runs non-root and read-only, with probes on the health endpoints and a safe rollout', async () => {
    const manifests = await render(name, values);
    const deployment = must(manifests, 'Deployment', name);
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    const config = must(manifests, 'ConfigMap', name).data ?? {};

    expect(container.image).toBe(env === 'default' ? `single/${name}:dev` : `${ws.file.registry}/${name}:${TAG}`);
    expect(container.ports).toEqual([{ name: 'http', containerPort: Number(config.PORT), protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.startupProbe.httpGet.path).toBe('/health/live');

    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();

    expect(deployment.spec.strategy).toMatchObject({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } });
    const preStop = container.lifecycle.preStop.sleep.seconds;
    expect(preStop).toBeGreaterThan(0);
    // The kubelet must not kill a pod still inside the app's own shutdown deadline.
    const shutdownSeconds = Number(config.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + shutdownSeconds);

    const zones = pod.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey);
    expect(zones).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    for (const constraint of pod.topologySpreadConstraints) {
      expect(constraint.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    }
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('references secrets only by key and takes DD_AGENT_HOST from the node', async () => {
    const manifests = await render(name, values);
    const deployment = must(manifests, 'Deployment', name);
    const [container] = deployment.spec.template.spec.containers;
    const vars = new Map<string, { value?: string; valueFrom?: Record<string, Record<string, string>> }>(
      container.env.map((e: { name: string }) => [e.name, e]),
    );
    expect(vars.get('DD_AGENT_HOST')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    expect(vars.get('DD_VERSION')?.valueFrom).toEqual({
      fieldRef: { fieldPath: "metadata.labels['tags.datadoghq.com/version']" },
    });
    // Each key of the chart's Secret (DATABASE_URL for the apps on the database; the dashboard has none).
    const secretKeys = (
      mergeValues(parse(readFileSync(join(chartDir(name), 'values.yaml'), 'utf8')), values).secrets as {
        keys: string[];
      }
    ).keys;
    expect(secretKeys.length).toBeGreaterThan(0);
    for (const key of secretKeys) expect(vars.get(key)?.valueFrom?.secretKeyRef).toEqual({ name, key });
    for (const [key, entry] of vars) {
      expect(entry.value, `${key} must not carry a literal value`).toBeUndefined();
    }
    expect(container.envFrom).toEqual([{ configMapRef: { name } }]);
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);

    const config = must(manifests, 'ConfigMap', name).data ?? {};
    for (const key of Object.keys(config)) expect(key).not.toMatch(/SECRET|PASSWORD|TOKEN|DATABASE_URL|RABBITMQ_URL/);
    expect(config).toMatchObject({ HOST: '0.0.0.0', DD_SERVICE: name, DD_ENV: env === 'default' ? 'local' : env });

    // Datadog unified service tags on the pod: the agent tags traces, logs and metrics with them.
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      'tags.datadoghq.com/service': name,
      'tags.datadoghq.com/version': tag,
      'tags.datadoghq.com/env': env === 'default' ? 'local' : env,
    });
  });

  it('gives the apps that connect stores their Shopify settings: secrets by key, URLs in the ConfigMap', async () => {
    const needs = SHOPIFY_NEEDS[name];
    if (!needs) return;
    const manifests = await render(name, values);
    const [container] = must(manifests, 'Deployment', name).spec.template.spec.containers;
    const refs = new Map<string, unknown>(
      container.env.map((e: { name: string; valueFrom?: { secretKeyRef?: unknown } }) => [
        e.name,
        e.valueFrom?.secretKeyRef,
      ]),
    );
    for (const key of needs.secrets) expect(refs.get(key), key).toEqual({ name, key });
    const config = must(manifests, 'ConfigMap', name).data ?? {};
    const scheme = env === 'default' ? /^https?:\/\// : /^https:\/\//;
    for (const key of needs.config) expect(config[key], key).toMatch(scheme);
    if (needs.config.includes('SHOPIFY_INSTALL_RETURN_URL') && env !== 'default') {
      // The merchant comes back to the dashboard's Stores page of the same environment.
      const dashboard = ws.file.projects.find((p) => p.name === 'dashboard')?.environments[env]?.hosts ?? [];
      expect(config.SHOPIFY_INSTALL_RETURN_URL).toBe(`https://${dashboard[0]}/shops`);
      const webhooks = ws.file.projects.find((p) => p.name === 'webhook-dispatcher')?.environments[env]?.hosts ?? [];
      expect(config.SHOPIFY_WEBHOOK_URL).toBe(`https://${webhooks[0]}/webhooks/shopify`);
    }
  });

  it('rolls the pods when the configuration changes (ConfigMap checksum)', async () => {
    const manifests = await render(name, values);
    const checksum = must(manifests, 'Deployment', name).spec.template.metadata.annotations['checksum/config'];
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const configmapSource = manifests.find((m) => m.kind === 'ConfigMap');
    expect(configmapSource).toBeDefined();
    const changed = await render(name, { ...values, config: { ...(values.config ?? {}), LOG_LEVEL: 'warn' } });
    expect(must(changed, 'Deployment', name).spec.template.metadata.annotations['checksum/config']).not.toBe(checksum);
    const again = await render(name, values);
    expect(must(again, 'Deployment', name).spec.template.metadata.annotations['checksum/config']).toBe(checksum);
  });

  it('scales with an HPA (or KEDA) and a PDB on the same pods, under its own ServiceAccount', async () => {
    const manifests = await render(name, values);
    const deployment = must(manifests, 'Deployment', name);
    // KEDA owns the replicas where enabled (the worker in production: docs/CAPACITY.md section 6), and makes the HPA.
    const scaled = manifests.find((m) => m.kind === 'ScaledObject');
    const hpa = scaled ? undefined : must(manifests, 'HorizontalPodAutoscaler', name);
    const target = scaled?.spec.scaleTargetRef ?? hpa?.spec.scaleTargetRef;
    const [min, max] = scaled
      ? [scaled.spec.minReplicaCount, scaled.spec.maxReplicaCount]
      : [hpa?.spec.minReplicas, hpa?.spec.maxReplicas];
    expect(target).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(min).toBeGreaterThanOrEqual(2);
    expect(max).toBeGreaterThanOrEqual(min);
    expect(deployment.spec.replicas).toBeUndefined(); // the autoscaler owns the replica count
    const pdb = must(manifests, 'PodDisruptionBudget', name);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pdb.spec.maxUnavailable).toBe(1);
    must(manifests, 'ServiceAccount', name);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(name);
  });

  it('exposes HTTP apps through an IngressRoute with rate limit and maintenance middlewares', async () => {
    const manifests = await render(name, values);
    const routes = manifests.filter((m) => m.kind === 'IngressRoute');
    const chartValues = readFileSync(join(chartDir(name), 'values.yaml'), 'utf8');
    if (/^kind: worker$/m.test(chartValues)) {
      expect(routes).toEqual([]);
      expect(manifests.filter((m) => m.kind === 'Middleware')).toEqual([]);
      return;
    }
    expect(routes).toHaveLength(1);
    const route = routes[0] as Manifest;
    expect(route.apiVersion).toBe('traefik.io/v1alpha1');
    const service = must(manifests, 'Service', name);
    const deployment = must(manifests, 'Deployment', name);
    const [rule] = route.spec.routes;
    expect(rule.services).toEqual([{ kind: 'Service', name: service.metadata.name, port: service.spec.ports[0].port }]);
    // The Service reaches the container port the probes and the app use.
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    const hosts = env === 'default' ? [] : (project.environments[env]?.hosts ?? []);
    for (const host of hosts) expect(rule.match).toContain(`Host(\`${host}\`)`);
    expect(rule.middlewares).toEqual([{ name: `${name}-ratelimit` }]);

    const rateLimit = must(manifests, 'Middleware', `${name}-ratelimit`);
    expect(rateLimit.apiVersion).toBe('traefik.io/v1alpha1');
    expect(rateLimit.spec.rateLimit.average).toBeGreaterThan(0);
    expect(rateLimit.spec.rateLimit.burst).toBeGreaterThanOrEqual(rateLimit.spec.rateLimit.average);
    const maintenance = must(manifests, 'Middleware', `${name}-maintenance`);
    expect(maintenance.spec.headers.customResponseHeaders['Retry-After']).toMatch(/^\d+$/);
  });

  it('answers 503 at the edge in maintenance mode: the route points at a Service with no pods', async () => {
    const chartValues = readFileSync(join(chartDir(name), 'values.yaml'), 'utf8');
    if (/^kind: worker$/m.test(chartValues)) return;
    const ingress = { ...((values.ingress as object) ?? {}), maintenance: true };
    const manifests = await render(name, { ...values, ingress });
    const [rule] = must(manifests, 'IngressRoute', name).spec.routes;
    expect(rule.services[0].name).toBe(`${name}-maintenance`);
    expect(rule.middlewares.map((m: { name: string }) => m.name)).toContain(`${name}-maintenance`);
    const empty = must(manifests, 'Service', `${name}-maintenance`);
    const podLabels = must(manifests, 'Deployment', name).spec.template.metadata.labels;
    const selectsPods = Object.entries(empty.spec.selector).every(([k, v]) => podLabels[k] === v);
    expect(selectsPods).toBe(false);
    expect(await validateManifests(manifests)).toEqual([]);
  });

  it('runs migrations as a pre-install/pre-upgrade Job only where projects.yaml asks for it', async () => {
    const manifests = await render(name, values);
    const job = findManifest(manifests, 'Job');
    const effective = mergeValues(parse(readFileSync(join(chartDir(name), 'values.yaml'), 'utf8')), values);
    const migrationsOn = (effective.migrations as { enabled: boolean }).enabled;
    // Exactly one project migrates the shared database: the first in deploy order.
    expect(migrationsOn).toBe(name === ws.file.projects[0]?.name);
    if (!migrationsOn) {
      expect(job).toBeUndefined();
      return;
    }
    if (job === undefined) throw new Error('migration Job missing');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const [container] = job.spec.template.spec.containers;
    expect(container.command).toEqual(['node', '--conditions=source', 'scripts/migrate.ts', 'deploy']);
    expect(container.env).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name, key: 'DATABASE_URL' } } },
    ]);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });
});

describe('values schema and manifest validation reject invalid input', () => {
  it.each([
    ['an unknown root key', { replicas: 3 }, /additional properties 'replicas' not allowed/],
    ['a secret in the ConfigMap', { config: { DATABASE_URL: 'postgres://u:p@db/x' } }, /DATABASE_URL/],
    ['an HTTP ingress without hosts', { ingress: { enabled: true, hosts: [] } }, /minItems|minimum|at least/i],
    ['an ingress on a worker', { kind: 'worker' }, /enabled|const/],
    [
      'a grace period shorter than zero',
      { shutdown: { timeoutSeconds: 0, preStopSeconds: 5, marginSeconds: 5 } },
      /timeoutSeconds|minimum/,
    ],
  ])('helm refuses %s', async (_label, values, message) => {
    const outcome = await renderChart(chartDir('webhook-dispatcher'), values);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(message);
  });

  it('an invalid project environment fails the chart check', async () => {
    const broken = structuredClone(ws);
    const project = broken.file.projects.find((p) => p.name === 'geo-reporting');
    if (project?.environments.staging === undefined) throw new Error('fixture');
    project.environments.staging.values = { autoscaling: { enabled: 'sometimes' } };
    const results = await checkCharts({ ...broken, file: { ...broken.file, projects: [project] } });
    const staging = results.find((r) => r.env === 'staging');
    expect(staging?.render).toBe(false);
    expect(staging?.problems.join('\n')).toMatch(/autoscaling/);
  });

  it('the schema validators catch a wrong type in a Deployment and a Traefik Middleware', async () => {
    const problems = await validateManifests([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x' },
        spec: { replicas: 'two', selector: {}, template: { spec: { containers: [] } } },
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'Middleware',
        metadata: { name: 'y' },
        spec: { rateLimit: { average: 'lots' } },
      },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'z' } },
    ]);
    expect(problems.map((p) => p.kind)).toEqual(['Deployment', 'Middleware', 'Widget']);
    expect(problems[0]?.message).toMatch(/replicas/);
    expect(problems[1]?.message).toMatch(/average/);
  });

  it('rejects unknown or misplaced fields in built-in kinds (strict, like kubeconform -strict)', async () => {
    const outcome = await renderChart(chartDir('webhook-dispatcher'));
    const deployment = structuredClone(must(outcome.manifests, 'Deployment'));
    const [container] = deployment.spec.template.spec.containers;
    container.readinesProbe = container.readinessProbe; // misspelt
    deployment.spec.maxUnavailable = 0; // misplaced (belongs under strategy.rollingUpdate)
    const problems = await validateManifests([deployment]);
    expect(problems.map((p) => p.message).sort()).toEqual([
      'unknown field spec.maxUnavailable',
      'unknown field spec.template.spec.containers[0].readinesProbe',
    ]);
    expect(await validateManifests(outcome.manifests)).toEqual([]);
  });

  it('the checksum is the sha256 of the rendered ConfigMap', async () => {
    // Guards the library's contract: the annotation hashes the same template the ConfigMap renders from.
    const outcome = await renderChart(chartDir('webhook-dispatcher'));
    const doc = outcome.output.split('\n---\n').find((d) => d.includes('kind: ConfigMap')) ?? '';
    const body = doc
      .replace(/^---\n/, '')
      .replace(/^# Source: .*\n/, '')
      .trimEnd();
    const annotation = must(outcome.manifests, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(createHash('sha256').update(body).digest('hex')).toBe(annotation);
  });
});
