import { join } from 'node:path';
import { compileTrustedProxies, resolveClientIp } from '@single/trusted-proxy';
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
  'service.type',
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

/** An app's TRUSTED_PROXIES in an environment: the ALB's subnets and the pods' (where Traefik runs). */
function appTrustedProxies(app: string, env: string): string[] {
  const project = ws.file.projects.find((p) => p.name === app);
  const config = project?.environments[env]?.values.config as Record<string, string> | undefined;
  return (config?.TRUSTED_PROXIES ?? '').split(',').filter(Boolean);
}
/** The apps that read the client address through the proxies. */
const CLIENT_IP_APPS = ['artist-api', 'geo-reporting'];

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
        const trusted = port?.forwardedHeaders?.trustedIPs ?? [];
        expect(trusted.length, `${env} ${entryPoint}`).toBeGreaterThan(0);
        for (const app of CLIENT_IP_APPS) {
          // The app trusts the ALB too (its entry is in X-Forwarded-For) and, beyond it, Traefik's pods: were
          // they missing, the app would key every fan on the Traefik pod that forwarded them.
          const appTrusted = appTrustedProxies(app, env);
          expect(appTrusted, `${app} ${env}`).toEqual(expect.arrayContaining(trusted));
          expect(appTrusted.length, `${app} ${env} trusts Traefik's pods`).toBeGreaterThan(trusted.length);
        }
        expect(port?.forwardedHeaders?.insecure).toBe(false);
        expect(port?.proxyProtocol).toBeUndefined();
      }
      // The charts' maintenance mode needs it (an empty Service answers 503).
      expect(values.providers.kubernetesCRD.allowEmptyServices).toBe(true);
      // The ALB is the only way in: no second (chart-default LoadBalancer) path from addresses Traefik trusts.
      expect((values as { service?: { type?: string } }).service?.type).toBe('ClusterIP');
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
      ports: { websecure: { forwardedHeaders: { trustedIPs: ['10.10.0.0/22'] } } },
    });
  });
});

// The same request as the edge test, with each environment's real ranges: Traefik and the app must name the
// same client. A fan's request leaves the ALB (an address of its subnet) as `X-Forwarded-For: <fan>`; Traefik
// (a pod address) appends the ALB's; the app sees Traefik's pod as its peer.
describe.each(Object.keys(ws.file.environments))('the client the apps see behind ALB and Traefik (%s)', (env) => {
  const traefikTrusted = (
    infrastructureValues(ws, traefik!, env) as { ports: { websecure: { forwardedHeaders: { trustedIPs: string[] } } } }
  ).ports.websecure.forwardedHeaders.trustedIPs;
  // First address of the ALB's first subnet, and of the app's other range (the pods').
  const first = (cidr: string) => cidr.replace(/\.0\/\d+$/, '.5');
  it.each(CLIENT_IP_APPS)('%s resolves the fan, not Traefik pod or ALB, and ignores what the fan forged', (app) => {
    const trusted = appTrustedProxies(app, env);
    const alb = first(traefikTrusted[0]!);
    const pod = first(trusted.find((range) => !traefikTrusted.includes(range))!);
    const result = resolveClientIp(
      { remoteAddress: pod, headers: { 'x-forwarded-for': `203.0.113.66, 198.51.100.7, ${alb}` } },
      compileTrustedProxies(trusted),
    );
    expect(result.clientIp).toBe('198.51.100.7');
    expect(result.flags).not.toContain('peer_untrusted');
  });

  it("the dashboard trusts its ingress hop, Traefik's pods (its Secure cookie needs their X-Forwarded-Proto)", () => {
    const pods = appTrustedProxies('artist-api', env).filter((range) => !traefikTrusted.includes(range));
    expect(pods.length).toBeGreaterThan(0);
    expect(appTrustedProxies('dashboard', env)).toEqual(pods);
  });
});
