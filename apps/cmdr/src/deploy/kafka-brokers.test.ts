import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadWorkspace } from '../projects.ts';
import { REPO_ROOT } from '../test-support/run.ts';
import { mergeValues } from './deploy.ts';
import { infrastructureValues } from './infrastructure.ts';

// The apps' KAFKA_BROKERS (projects.yaml) name the brokers the kafka infrastructure entry deploys: Bitnami's chart
// (32.x, KRaft, nodes that are controller and broker) runs them as the StatefulSet <release>-controller behind the
// headless Service <release>-controller-headless, so node N is
// <release>-controller-N.<release>-controller-headless.<namespace>.svc.cluster.local, serving clients on
// listeners.client.containerPort (chart default 9092). The release is the entry's name (`cmdr deploy kafka`).
const ws = loadWorkspace(REPO_ROOT);
const CHART_DEFAULT_CLIENT_PORT = 9092;

function brokersOf(env: string): string[] {
  const kafka = ws.file.infrastructure.find((i) => i.name === 'kafka');
  if (!kafka) throw new Error('projects.yaml has no kafka infrastructure entry');
  const values = infrastructureValues(ws, kafka, env) as {
    controller: { replicaCount: number };
    broker?: { replicaCount?: number };
    listeners?: { client?: { containerPort?: number } };
  };
  // Dedicated brokers would be another StatefulSet (<release>-broker): the names below assume there are none.
  expect(values.broker?.replicaCount ?? 0).toBe(0);
  const port = values.listeners?.client?.containerPort ?? CHART_DEFAULT_CLIENT_PORT;
  const headless = `${kafka.name}-controller-headless.${kafka.namespace}.svc.cluster.local`;
  return Array.from(
    { length: values.controller.replicaCount },
    (_, i) => `${kafka.name}-controller-${i}.${headless}:${port}`,
  );
}

describe("the apps' KAFKA_BROKERS and the kafka infrastructure entry", () => {
  const cases = Object.keys(ws.file.environments).flatMap((env) =>
    ws.file.projects
      .filter((project) => {
        // Every app whose chart reads KAFKA_BROKERS (its default is the local 127.0.0.1:9092).
        const chartValues = parse(readFileSync(join(REPO_ROOT, project.chart, 'values.yaml'), 'utf8')) as {
          config?: Record<string, unknown>;
        };
        return chartValues.config?.KAFKA_BROKERS !== undefined && project.environments[env] !== undefined;
      })
      .map((project) => ({ env, project })),
  );

  it('covers the apps that use Kafka in every environment', () => {
    expect(new Set(cases.map((c) => c.project.name))).toEqual(
      new Set(['artist-api', 'fulfillment-worker', 'geo-reporting']),
    );
    expect(new Set(cases.map((c) => c.env))).toEqual(new Set(Object.keys(ws.file.environments)));
  });

  it.each(cases.map((c) => [c.project.name, c.env, c] as const))(
    '%s (%s) lists every node of the entry, by the names its chart gives them',
    (_name, env, { project }) => {
      const chartValues = parse(readFileSync(join(REPO_ROOT, project.chart, 'values.yaml'), 'utf8'));
      const values = mergeValues(chartValues, project.environments[env]?.values ?? {}) as {
        config: Record<string, string>;
      };
      expect((values.config.KAFKA_BROKERS ?? '').split(',')).toEqual(brokersOf(env));
    },
  );
});
