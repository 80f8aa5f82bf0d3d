import { describe, expect, it } from 'vitest';
import type { Manifest } from '../manifests/parse.ts';
import { secretNeeds } from './preflight.ts';

// What `cmdr deploy` asks the cluster for: every Secret (and key) the rendered objects cannot start without.
const pod = (spec: Record<string, unknown>) => ({ template: { spec } });

describe('secretNeeds', () => {
  it('collects env keys, envFrom, volumes and image pull secrets, skipping optional references', () => {
    const manifests = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app' },
        spec: pod({
          imagePullSecrets: [{ name: 'registry' }],
          containers: [
            {
              env: [
                { name: 'A', valueFrom: { secretKeyRef: { name: 'app', key: 'DATABASE_URL' } } },
                { name: 'B', valueFrom: { secretKeyRef: { name: 'app', key: 'EXTRA', optional: true } } },
                { name: 'C', value: 'plain' },
              ],
              envFrom: [{ secretRef: { name: 'bulk' } }, { secretRef: { name: 'maybe', optional: true } }],
            },
          ],
          volumes: [{ secret: { secretName: 'tls', items: [{ key: 'tls.crt' }] } }],
        }),
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly' },
        spec: {
          jobTemplate: {
            spec: pod({
              containers: [{ env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'app', key: 'TOKEN' } } }] }],
            }),
          },
        },
      },
    ] as Manifest[];
    const needs = secretNeeds(manifests);
    expect([...needs.keys()].sort()).toEqual(['app', 'bulk', 'registry', 'tls']);
    expect([...(needs.get('app')?.keys ?? [])]).toEqual(['DATABASE_URL', 'TOKEN']);
    expect([...(needs.get('app')?.usedBy ?? [])]).toEqual(['Deployment/app', 'CronJob/nightly']);
    expect(needs.get('registry')?.keys.size).toBe(0);
    expect([...(needs.get('tls')?.keys ?? [])]).toEqual(['tls.crt']);
  });
});

describe('secretNeeds: the Datadog agent’s scrape credential', () => {
  // geo-reporting's /metrics needs a bearer token the agent reads from a Secret named in the pod's autodiscovery
  // annotation; a missing one made the scrape 401 and the monitors silent, and preflight did not name it.
  // Seen failing on the old secretNeeds.
  it('names the Secret and key of an ENC[k8s_secret@...] in an ad.datadoghq.com annotation', () => {
    const checks = JSON.stringify({
      openmetrics: {
        instances: [
          {
            openmetrics_endpoint: 'http://%%host%%:3004/metrics',
            headers: { Authorization: 'Bearer ENC[k8s_secret@single-staging/geo-reporting-metrics/token]' },
          },
        ],
      },
    });
    const needs = secretNeeds([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'geo-reporting' },
        spec: {
          template: {
            metadata: {
              annotations: { 'ad.datadoghq.com/geo-reporting.checks': checks, other: 'ENC[k8s_secret@a/b/c]' },
            },
            spec: { containers: [{}] },
          },
        },
      } as Manifest,
    ]);
    expect([...needs.keys()]).toEqual(['geo-reporting-metrics']);
    expect([...(needs.get('geo-reporting-metrics')?.keys ?? [])]).toEqual(['token']);
  });
});
