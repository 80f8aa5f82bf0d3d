import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findManifest } from '../manifests/parse.ts';
import { REPO_ROOT } from '../test-support/run.ts';
import { renderChart } from './render.ts';

// helm renders slowly on a loaded two-core machine.
vi.setConfig({ testTimeout: 60_000 });

// Two service-lib rules (charts/service-lib): the public route never reaches the app's /metrics (served by every
// app whatever metrics.enabled says: that only annotates the pod for the agent), and an autoscaler whose
// minimum is above its maximum is refused at render time (Kubernetes accepts it and then never scales).
const chart = (name: string) => join(REPO_ROOT, 'charts', name);
const ingress = { enabled: true, hosts: ['a.example'] };

describe('the public route leaves /metrics out', () => {
  // fulfillment-worker has no public route (its schema refuses ingress.enabled); geo-reporting routes exact paths.
  it.each(['artist-api', 'webhook-dispatcher', 'dashboard'])(
    '%s: with metrics.enabled false as with true',
    async (name) => {
      for (const enabled of [true, false]) {
        const outcome = await renderChart(chart(name), { ingress, metrics: { enabled } });
        expect(outcome.error).toBe('');
        const match = findManifest(outcome.manifests, 'IngressRoute')?.spec.routes[0].match as string;
        expect(match).toContain('PathPrefix(`/`)');
        expect(match, `metrics.enabled=${enabled}`).toContain('&& !PathPrefix(`/metrics`)');
      }
    },
  );

  it('and metrics.path too when it names another path', async () => {
    const outcome = await renderChart(chart('artist-api'), { ingress, metrics: { enabled: true, path: '/internal' } });
    expect(outcome.error).toBe('');
    const match = findManifest(outcome.manifests, 'IngressRoute')?.spec.routes[0].match as string;
    expect(match).toContain('&& !PathPrefix(`/metrics`) && !PathPrefix(`/internal`)');
  });
});

describe('autoscaling minimum above its maximum', () => {
  it('the CPU HPA: refused, naming both', async () => {
    const outcome = await renderChart(chart('artist-api'), {
      autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('autoscaling.minReplicas (5) must not be greater than autoscaling.maxReplicas (3)');
  });

  it('the CPU HPA: min equal to max renders', async () => {
    const outcome = await renderChart(chart('artist-api'), {
      autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
    });
    expect(outcome.error).toBe('');
    expect(findManifest(outcome.manifests, 'HorizontalPodAutoscaler')?.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 3,
    });
  });

  const keda = (minReplicas: number, maxReplicas: number) => ({
    autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 2, targetCPUUtilizationPercentage: 70 },
    keda: {
      enabled: true,
      minReplicas,
      maxReplicas,
      queues: [{ name: 'fulfillment.orders.snapshot', messagesPerReplica: 500 }],
    },
  });

  it('the KEDA ScaledObject: refused, naming both', async () => {
    const outcome = await renderChart(chart('fulfillment-worker'), keda(20, 16));
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('keda.minReplicas (20) must not be greater than keda.maxReplicas (16)');
  });

  it('the KEDA ScaledObject: min below max renders', async () => {
    const outcome = await renderChart(chart('fulfillment-worker'), keda(3, 16));
    expect(outcome.error).toBe('');
    expect(findManifest(outcome.manifests, 'ScaledObject')?.spec).toMatchObject({
      minReplicaCount: 3,
      maxReplicaCount: 16,
    });
  });
});
