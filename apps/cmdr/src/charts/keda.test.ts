import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { releaseValues } from '../deploy/deploy.ts';
import { secretNeeds } from '../deploy/preflight.ts';
import { findManifest } from '../manifests/parse.ts';
import { validateManifests } from '../manifests/validate.ts';
import { getProject, loadWorkspace } from '../projects.ts';
import { REPO_ROOT } from '../test-support/run.ts';
import { renderChart } from './render.ts';

// helm renders and the schema models load slowly on a loaded two-core machine.
vi.setConfig({ testTimeout: 30_000 });

// The fulfillment worker scales on RabbitMQ queue depth with KEDA when keda.enabled (off by default): a
// ScaledObject with one rabbitmq trigger per order work queue, authenticated with the app Secret's AMQP URL,
// and no CPU HPA beside it (two owners of one Deployment's replicas would fight).
const ws = loadWorkspace(REPO_ROOT);
const project = getProject(ws, 'fulfillment-worker');
const chart = join(REPO_ROOT, project.chart);

async function render(env: string, overrides: Record<string, unknown> = {}) {
  const values = releaseValues(ws, project, env, 'keda-test');
  const outcome = await renderChart(chart, { ...values, ...overrides }, { release: 'fulfillment-worker' });
  expect(outcome.error).toBe('');
  return outcome.manifests;
}

describe('fulfillment-worker: KEDA on queue depth', () => {
  it('is off by default (staging): the CPU HPA scales the worker', async () => {
    const manifests = await render('staging');
    expect(findManifest(manifests, 'ScaledObject')).toBeUndefined();
    expect(findManifest(manifests, 'TriggerAuthentication')).toBeUndefined();
    expect(findManifest(manifests, 'HorizontalPodAutoscaler')).toBeDefined();
  });

  it('production scales on queue depth, 3-16 as docs/CAPACITY.md sections 5-6 plan, and no CPU HPA', async () => {
    const manifests = await render('production');
    expect(findManifest(manifests, 'HorizontalPodAutoscaler')).toBeUndefined();
    expect(findManifest(manifests, 'ScaledObject', 'fulfillment-worker')?.spec).toMatchObject({
      minReplicaCount: 3,
      maxReplicaCount: 16,
    });
    // The chart's own maximum is the plan's too: enabling KEDA anywhere without a maximum asks for 16, not 20.
    const defaults = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as { keda: { maxReplicas: number } };
    expect(defaults.keda.maxReplicas).toBe(16);
    // Had the CPU HPA rendered instead, its target is the 60 % the 0.6 core per pod of the plan comes from.
    const autoscaling = project.environments.production?.values.autoscaling as
      | { targetCPUUtilizationPercentage: number }
      | undefined;
    expect(autoscaling?.targetCPUUtilizationPercentage).toBe(60);
  });

  it('when enabled, scales the Deployment on the order queues with the Secret AMQP URL, instead of the HPA', async () => {
    const manifests = await render('production', {
      keda: {
        enabled: true,
        minReplicas: 3,
        maxReplicas: 30,
        queues: [
          { name: 'fulfillment.orders.snapshot', messagesPerReplica: 500 },
          { name: 'fulfillment.refunds.create', messagesPerReplica: 200 },
        ],
      },
    });
    expect(await validateManifests(manifests)).toEqual([]);
    const scaled = findManifest(manifests, 'ScaledObject', 'fulfillment-worker');
    expect(scaled?.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled?.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fulfillment-worker' },
      minReplicaCount: 3,
      maxReplicaCount: 30,
    });
    expect(scaled?.spec.triggers).toEqual([
      {
        type: 'rabbitmq',
        metadata: { protocol: 'amqp', mode: 'QueueLength', queueName: 'fulfillment.orders.snapshot', value: '500' },
        authenticationRef: { name: 'fulfillment-worker-rabbitmq' },
      },
      {
        type: 'rabbitmq',
        metadata: { protocol: 'amqp', mode: 'QueueLength', queueName: 'fulfillment.refunds.create', value: '200' },
        authenticationRef: { name: 'fulfillment-worker-rabbitmq' },
      },
    ]);
    expect(findManifest(manifests, 'TriggerAuthentication', 'fulfillment-worker-rabbitmq')?.spec).toEqual({
      secretTargetRef: [{ parameter: 'host', name: 'fulfillment-worker', key: 'RABBITMQ_URL' }],
    });
    // One owner of the replicas: no CPU HPA, and the Deployment leaves replicas to KEDA.
    expect(findManifest(manifests, 'HorizontalPodAutoscaler')).toBeUndefined();
    expect(findManifest(manifests, 'Deployment', 'fulfillment-worker')?.spec.replicas).toBeUndefined();
    // cmdr deploy checks the Secret key KEDA reads, like the pods' own.
    expect(secretNeeds(manifests).get('fulfillment-worker')?.usedBy).toContain(
      'TriggerAuthentication/fulfillment-worker-rabbitmq',
    );
  });

  it('the chart default queues are the worker topology order queues', async () => {
    const manifests = await render('staging', { keda: { enabled: true, maxReplicas: 4 } });
    // Read as text: cmdr does not depend on the worker package (its QUEUES are the names it declares).
    const topology = readFileSync(join(REPO_ROOT, 'apps/fulfillment-worker/src/topology.ts'), 'utf8');
    const queue = (key: string) => new RegExp(`${key}: '([^']+)'`).exec(topology)?.[1];
    const QUEUES = {
      orderSnapshots: queue('orderSnapshots'),
      orderCancellations: queue('orderCancellations'),
      refunds: queue('refunds'),
    };
    const queues = findManifest(manifests, 'ScaledObject')?.spec.triggers.map(
      (t: { metadata: { queueName: string } }) => t.metadata.queueName,
    );
    expect(queues).toEqual([QUEUES.orderSnapshots, QUEUES.orderCancellations, QUEUES.refunds]);
  });

  it('refuses a minimum of zero replicas, saying why', async () => {
    const values = releaseValues(ws, project, 'staging', 'keda-test');
    const outcome = await renderChart(chart, { ...values, keda: { enabled: true, minReplicas: 0, maxReplicas: 4 } });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain("at '/keda/minReplicas': minimum: got 0, want 1");
  });
});
