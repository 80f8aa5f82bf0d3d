import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkspace } from '../projects.ts';
import { cmdr } from '../test-support/run.ts';
import { infrastructureValues } from './infrastructure.ts';

// Issue 14: Traefik's own settings live in the repo (infra/traefik/values.yaml, projects.yaml
// `infrastructure`). The official chart cannot be downloaded here, so it is not rendered: instead every
// value we set is checked against the keys the chart documents, for the pinned version (37.3.0: its
// VALUES.md, plus the per-entry-point `forwardedHeaders` and `proxyProtocol` blocks its values.yaml documents
// in comments and _podtemplate.tpl turns into --entrypoints.<name>.forwardedHeaders.trustedIPs=...).

const ws = loadWorkspace(join(import.meta.dirname, '../../../..'));
const traefik = ws.file.infrastructure.find((i) => i.name === 'traefik');

/** Documented value paths of traefik chart 37.3.0 that we use; `*` stands for any key (free-form maps). */
const DOCUMENTED = [
  'image.tag',
  'deployment.replicas',
  'ports.*.forwardedHeaders.trustedIPs',
  'ports.*.forwardedHeaders.insecure',
  'ports.*.proxyProtocol.trustedIPs',
  'ports.*.proxyProtocol.insecure',
  'providers.kubernetesCRD.allowEmptyServices',
  'providers.kubernetesIngress.enabled',
  'ingressRoute.dashboard.enabled',
  'logs.general.level',
  'logs.access.enabled',
  'logs.access.fields.headers.defaultmode',
  'logs.access.fields.general.names.*',
];

function leaves(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}
const documented = (path: string) =>
  DOCUMENTED.some((pattern) => {
    const want = pattern.split('.');
    const got = path.split('.');
    return want.length === got.length && want.every((w, i) => w === '*' || w === got[i]);
  });

/** The apps' TRUSTED_PROXIES per environment: the ALB's subnets, which Traefik must trust as well. */
function appTrustedProxies(env: string): string[] {
  const geo = ws.file.projects.find((p) => p.name === 'geo-reporting');
  const config = geo?.environments[env]?.values.config as Record<string, string> | undefined;
  return (config?.TRUSTED_PROXIES ?? '').split(',').filter(Boolean);
}

describe('Traefik, an infrastructure entry of projects.yaml', () => {
  it('pins the official chart to an exact version', () => {
    expect(traefik?.chart).toEqual({
      repository: 'https://traefik.github.io/charts',
      name: 'traefik',
      version: '37.3.0',
    });
  });

  it.each(Object.keys(ws.file.environments))('sets only documented chart keys (%s)', (env) => {
    const values = infrastructureValues(ws, traefik!, env);
    const unknown = leaves(values).filter((path) => !documented(path));
    expect(unknown).toEqual([]);
  });

  it.each(Object.keys(ws.file.environments))(
    'trusts the ALB subnets on both entry points, no PROXY protocol behind an ALB (%s)',
    (env) => {
      const values = infrastructureValues(ws, traefik!, env) as {
        ports: Record<
          string,
          { forwardedHeaders?: { trustedIPs?: string[]; insecure?: boolean }; proxyProtocol?: unknown }
        >;
        providers: { kubernetesCRD: { allowEmptyServices: boolean } };
      };
      for (const entryPoint of ['web', 'websecure']) {
        const port = values.ports[entryPoint];
        expect(port?.forwardedHeaders?.trustedIPs, `${env} ${entryPoint}`).toEqual(appTrustedProxies(env));
        expect(port?.forwardedHeaders?.insecure).toBe(false);
        expect(port?.proxyProtocol).toBeUndefined();
      }
      // The charts' maintenance mode needs it (an empty Service answers 503).
      expect(values.providers.kubernetesCRD.allowEmptyServices).toBe(true);
    },
  );

  it('`cmdr deploy traefik --dry-run` prints the merged values and the helm command, not rendered offline', async () => {
    const run = await cmdr(['--json', 'deploy', 'traefik', '--env', 'production', '--tag', 'infra', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    const [result] = run.json() as Record<string, unknown>[];
    expect(result).toMatchObject({ project: 'traefik', namespace: 'traefik', kubeContext: 'single-production' });
    expect(result?.note).toContain('not rendered');
    expect(result?.helmArgs).toEqual(
      expect.arrayContaining([
        'template',
        'traefik',
        '--repo',
        'https://traefik.github.io/charts',
        '--version',
        '37.3.0',
      ]),
    );
    expect(result?.values).toMatchObject({
      ports: { websecure: { forwardedHeaders: { trustedIPs: ['10.10.0.0/16'] } } },
    });
  });
});
