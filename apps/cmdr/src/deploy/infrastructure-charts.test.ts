import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SALES_TOPIC, SALES_TOPIC_PARTITIONS } from '@single/contracts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Infrastructure, loadWorkspace, projectsFileSchema } from '../projects.ts';
import { cmdr } from '../test-support/run.ts';
import { mergeValues } from './deploy.ts';
import { chartSource, infrastructureValues } from './infrastructure.ts';

// Issue 18: the servers the platform is deployed with (PostgreSQL, Redis, RabbitMQ, Kafka) are infrastructure
// entries of projects.yaml beside Traefik, pinned to Bitnami's charts. Those are published only to Bitnami's OCI
// registry, which this machine cannot reach, so nothing here renders them (docs/INFRASTRUCTURE.md). What can be
// checked is: the entry's shape (cmdr's schema), the helm command cmdr would run, every value we set being a
// parameter the pinned chart version documents, and the sizes docs/CAPACITY.md asks for.

const root = join(import.meta.dirname, '../../../..');
const ws = loadWorkspace(root);
const entry = (name: string) => {
  const found = ws.file.infrastructure.find((i) => i.name === name);
  if (!found) throw new Error(`projects.yaml has no infrastructure entry ${name}`);
  return found;
};
const BITNAMI = 'oci://registry-1.docker.io/bitnamicharts';
const SERVERS = ['postgresql', 'redis', 'rabbitmq', 'kafka'] as const;

/**
 * Parameters of each pinned chart version that our values use (from the chart's values.yaml `@param` lines):
 * `*` is one key, a trailing `**` any sub-path (free-form maps such as resources or broker settings). Keyed by
 * chart@version: bumping a version in projects.yaml fails here until its parameters are checked again.
 */
const DOCUMENTED: Record<string, string[]> = {
  'postgresql@14.2.0': [
    'image.registry',
    'image.repository',
    'architecture',
    'auth.username',
    'auth.database',
    'auth.existingSecret',
    'primary.extendedConfiguration',
    'primary.resources.**',
    'primary.persistence.size',
    'primary.persistence.storageClass',
    'metrics.enabled',
  ],
  'redis@19.3.0': [
    'image.registry',
    'image.repository',
    'architecture',
    'auth.existingSecret',
    'auth.existingSecretPasswordKey',
    'master.resources.**',
    'master.persistence.size',
    'replica.replicaCount',
    'replica.resources.**',
    'replica.persistence.size',
    'metrics.enabled',
  ],
  'rabbitmq@14.4.2': [
    'image.registry',
    'image.repository',
    'replicaCount',
    'auth.username',
    'auth.existingPasswordSecret',
    'auth.existingErlangSecret',
    'resources.**',
    'persistence.size',
    'metrics.enabled',
  ],
  'kafka@32.3.14': [
    'global.security.allowInsecureImages',
    'image.registry',
    'image.repository',
    'controller.replicaCount',
    'controller.resources.**',
    'controller.persistence.size',
    'broker.replicaCount',
    'listeners.client.protocol',
    'overrideConfiguration.**',
    'provisioning.enabled',
    'provisioning.topics',
  ],
};

/**
 * Whether the pinned chart version refuses substituted images (Bitnami's common library 2.28.0, December 2024:
 * `common.errors.insecureImages` fails the render when an image is not the chart's own docker.io/bitnami one,
 * unless `global.security.allowInsecureImages`). The earlier versions pinned here have neither the check nor the
 * parameter. Keyed by chart@version like DOCUMENTED: a bump fails here until checked again.
 */
const SUBSTITUTED_IMAGES_CHECK: Record<string, boolean> = {
  'postgresql@14.2.0': false, // February 2024, common 2.x before 2.28.0
  'redis@19.3.0': false, // May 2024
  'rabbitmq@14.4.2': false, // June 2024
  'kafka@32.3.14': true, // 2025
};

function leaves(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}
function documented(patterns: string[], path: string): boolean {
  const got = path.split('.');
  return patterns.some((pattern) => {
    const want = pattern.split('.');
    if (want.at(-1) === '**') {
      const head = want.slice(0, -1);
      return got.length > head.length && head.every((w, i) => w === '*' || w === got[i]);
    }
    return want.length === got.length && want.every((w, i) => w === '*' || w === got[i]);
  });
}

const envs = Object.keys(ws.file.environments);

describe('the servers as infrastructure entries of projects.yaml', () => {
  it('has PostgreSQL, Redis, RabbitMQ and Kafka beside Traefik, each in every environment', () => {
    expect(ws.file.infrastructure.map((i) => i.name)).toEqual(expect.arrayContaining(['traefik', ...SERVERS]));
    for (const name of SERVERS) expect(Object.keys(entry(name).environments).sort()).toEqual([...envs].sort());
  });

  it.each(SERVERS)('%s: pinned to an exact version of the Bitnami chart, pulled from its OCI registry', (name) => {
    const { chart } = entry(name);
    expect(chart).toMatchObject({ repository: BITNAMI, name });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    // helm takes an OCI chart as one reference, and refuses --repo with it.
    expect(chartSource(entry(name))).toEqual([`${BITNAMI}/${name}`, '--version', chart.version]);
  });

  describe.each(SERVERS)('%s values', (name) => {
    it.each(envs)('sets only parameters the pinned chart documents (%s)', (env) => {
      const { chart } = entry(name);
      const patterns = DOCUMENTED[`${chart.name}@${chart.version}`];
      expect(patterns, `${chart.name} ${chart.version}: check its parameters and list them here`).toBeDefined();
      const unknown = leaves(infrastructureValues(ws, entry(name), env)).filter((p) => !documented(patterns!, p));
      expect(unknown).toEqual([]);
    });

    it.each(envs)('takes its credentials from a Secret, never from values (%s)', (env) => {
      const text = JSON.stringify(infrastructureValues(ws, entry(name), env));
      expect(text).not.toMatch(/"(password|postgresPassword|erlangCookie|replicationPassword)":/);
    });

    it.each(envs)('allows its substituted image where the pinned chart refuses one otherwise (%s)', (env) => {
      const { chart } = entry(name);
      const checks = SUBSTITUTED_IMAGES_CHECK[`${chart.name}@${chart.version}`];
      expect(
        checks,
        `${chart.name} ${chart.version}: does it have common.errors.insecureImages? say so here`,
      ).toBeDefined();
      const values = infrastructureValues(ws, entry(name), env) as {
        image?: { registry?: string; repository?: string };
        global?: { security?: { allowInsecureImages?: unknown } };
      };
      const substituted = values.image?.registry !== undefined || values.image?.repository !== undefined;
      if (checks && substituted) expect(values.global?.security?.allowInsecureImages).toBe(true);
      if (!checks) expect(values.global?.security?.allowInsecureImages).toBeUndefined();
    });

    it.each(envs)('runs the image from Bitnami’s legacy repository (the chart’s default tags moved) (%s)', (env) => {
      const values = infrastructureValues(ws, entry(name), env) as { image: { repository: string } };
      expect(values.image.repository).toBe(`bitnamilegacy/${name}`);
    });
  });
});

describe('production sizes follow docs/CAPACITY.md section 5', () => {
  const prod = (name: string): unknown => infrastructureValues(ws, entry(name), 'production');
  const conf = (text: string) =>
    Object.fromEntries(
      text
        .split('\n')
        .map((line) => line.split('=').map((s) => s.trim()))
        .filter((kv) => kv.length === 2),
    );

  it('PostgreSQL: one 16-vCPU primary, max_connections 1000, lz4 TOAST', () => {
    const pg = prod('postgresql') as {
      architecture: string;
      primary: { extendedConfiguration: string; resources: { requests: { cpu: string } } };
    };
    expect(pg.architecture).toBe('standalone');
    expect(pg.primary.resources.requests.cpu).toBe('16');
    expect(conf(pg.primary.extendedConfiguration)).toMatchObject({
      max_connections: '1000',
      default_toast_compression: 'lz4',
    });
  });

  // Every pool full in every pod at every app's maximum replicas (projects.yaml over the chart's values.yaml:
  // KEDA's maximum when it owns the replicas, else the HPA's, else replicaCount) stays within 80 % of
  // max_connections: the rest for superuser slots, psql and a deploy overlapping a full scale-out.
  const POOLS: Record<string, (config: Record<string, string>) => number> = {
    // runtime.ts: the claims' pool (10) and the relay's own (ORDERS_RELAY_LANES + 2)
    'webhook-dispatcher': (c) => 10 + Number(c.ORDERS_RELAY_LANES ?? 1) + 2,
    // main.ts: one pool of DATABASE_POOL_SIZE (default 10), Prisma on it
    'fulfillment-worker': (c) => Number(c.DATABASE_POOL_SIZE ?? 10),
    // runtime.ts: Prisma's 10 and the captures' pg pool of 4
    'geo-reporting': () => 14,
    // embedded.ts: one pg pool of 10, Prisma on it
    'artist-api': () => 10,
    // calls the artist API only
    dashboard: () => 0,
  };
  // The chart-file CronJob (2), the migrations Job (1) and two cmdr commands (2 each).
  const ONE_OFFS = 2 + 1 + 4;
  it.each(envs)(
    'PostgreSQL connections with every pool full at every maximum stay within 0.8 of max_connections (%s)',
    (env) => {
      let total = ONE_OFFS;
      for (const project of ws.file.projects) {
        const chartValues = parse(readFileSync(join(root, project.chart, 'values.yaml'), 'utf8'));
        const values = mergeValues(chartValues, project.environments[env]?.values ?? {}) as {
          replicaCount?: number;
          autoscaling?: { enabled: boolean; maxReplicas: number };
          keda?: { enabled: boolean; maxReplicas: number };
          config?: Record<string, string>;
        };
        const replicas = values.keda?.enabled
          ? values.keda.maxReplicas
          : values.autoscaling?.enabled
            ? values.autoscaling.maxReplicas
            : (values.replicaCount ?? 1);
        const perPod = POOLS[project.name];
        expect(perPod, `connections per pod of ${project.name}`).toBeDefined();
        total += replicas * (perPod?.(values.config ?? {}) ?? 0);
      }
      const pg = infrastructureValues(ws, entry('postgresql'), env) as { primary: { extendedConfiguration: string } };
      const max = Number(conf(pg.primary.extendedConfiguration).max_connections);
      expect(total, `${total} of max_connections ${max}`).toBeLessThanOrEqual(0.8 * max);
      if (env === 'production') expect(total).toBe(799); // docs/CAPACITY.md section 5
    },
  );

  it('Redis: a primary and one replica of 2 vCPU', () => {
    const redis = prod('redis') as {
      architecture: string;
      master: { resources: { requests: { cpu: string } } };
      replica: { replicaCount: number; resources: { requests: { cpu: string } } };
    };
    expect(redis.architecture).toBe('replication');
    expect(redis.replica.replicaCount).toBe(1);
    expect([redis.master.resources.requests.cpu, redis.replica.resources.requests.cpu]).toEqual(['2', '2']);
  });

  it('RabbitMQ: 3 nodes of 4 vCPU (the quorum queues replicate to 3)', () => {
    const rabbit = prod('rabbitmq') as { replicaCount: number; resources: { requests: { cpu: string } } };
    expect(rabbit.replicaCount).toBe(3);
    expect(rabbit.resources.requests.cpu).toBe('4');
  });

  it.each(envs)('Kafka: 3 brokers, sales.v1 with 12 partitions, replicated 3 times, 2 in sync (%s)', (env) => {
    const kafka = infrastructureValues(ws, entry('kafka'), env) as {
      controller: { replicaCount: number };
      broker: { replicaCount: number };
      overrideConfiguration: Record<string, unknown>;
      provisioning: { enabled: boolean; topics: { name: string; partitions: number; replicationFactor: number }[] };
    };
    const brokers = kafka.controller.replicaCount + kafka.broker.replicaCount;
    expect(brokers).toBe(3);
    expect(kafka.overrideConfiguration).toMatchObject({
      'auto.create.topics.enable': false,
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
    });
    expect(kafka.provisioning.enabled).toBe(true);
    // The same count the apps create the topic with when it is missing (whichever comes first).
    expect(SALES_TOPIC_PARTITIONS).toBe(12);
    expect(kafka.provisioning.topics).toContainEqual(
      expect.objectContaining({ name: SALES_TOPIC, partitions: SALES_TOPIC_PARTITIONS, replicationFactor: 3 }),
    );
  });
});

describe('an infrastructure entry’s chart repository (cmdr’s schema)', () => {
  const file = (repository: string) => {
    const base = structuredClone(ws.file) as { infrastructure: Infrastructure[] };
    base.infrastructure = [{ ...entry('redis'), chart: { ...entry('redis').chart, repository } }];
    return projectsFileSchema.safeParse(base);
  };
  it.each([BITNAMI, 'https://traefik.github.io/charts'])('accepts %s', (repository) => {
    expect(file(repository).success).toBe(true);
  });
  it.each(['http://charts.example', 'oci://registry-1.docker.io/bitnamicharts/', 'oci://', 'oci:/x', 'ftp://x'])(
    'refuses %s',
    (repository) => {
      const result = file(repository);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path.join('.')).toBe('infrastructure.0.chart.repository');
    },
  );
});

describe('`cmdr deploy <server> --dry-run`', () => {
  it('prints the merged values and the OCI helm command, not rendered offline', async () => {
    const run = await cmdr(['--json', 'deploy', 'postgresql', '--env', 'production', '--tag', 'infra', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    const [result] = run.json() as Record<string, unknown>[];
    expect(result).toMatchObject({ project: 'postgresql', namespace: 'data', kubeContext: 'single-production' });
    expect(result?.note).toContain('not rendered');
    const args = result?.helmArgs as string[];
    expect(args.slice(0, 4)).toEqual(['template', 'postgresql', `${BITNAMI}/postgresql`, '--version']);
    expect(args).not.toContain('--repo');
    expect(result?.values).toMatchObject({ auth: { existingSecret: 'postgresql-auth' } });
  });
});

// Issue 18: KEDA runs the production fulfillment worker's ScaledObject; without its CRDs the worker's chart cannot
// be installed. Its chart repository is not reachable from here either: checked like the Bitnami entries.
describe('KEDA as an infrastructure entry of projects.yaml', () => {
  const KEDA_REPOSITORY = 'https://kedacore.github.io/charts';
  const DOCUMENTED_KEDA: Record<string, string[]> = {
    // The chart's README parameter tables for 2.16.0 (helm-docs from its values.yaml).
    'keda@2.16.0': [
      'crds.install',
      'watchNamespace',
      'operator.replicaCount',
      'metricsServer.replicaCount',
      'webhooks.enabled',
      'resources.operator.**',
      'resources.metricServer.**',
      'resources.webhooks.**',
      'podDisruptionBudget.operator.**',
      'podDisruptionBudget.metricServer.**',
    ],
  };
  /** Every environment where some project's values (chart values.yaml, then projects.yaml) turn KEDA on. */
  const kedaEnvs = envs.filter((env) =>
    ws.file.projects.some((project) => {
      const chartValues = parse(readFileSync(join(root, project.chart, 'values.yaml'), 'utf8'));
      const values = mergeValues(chartValues, project.environments[env]?.values ?? {}) as {
        keda?: { enabled?: boolean };
      };
      return values.keda?.enabled === true;
    }),
  );

  it('is pinned to an exact version of kedacore/keda, in namespace keda, with its values in the repository', () => {
    const keda = entry('keda');
    expect(keda.chart).toMatchObject({ repository: KEDA_REPOSITORY, name: 'keda' });
    expect(keda.chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(keda.namespace).toBe('keda');
    expect(keda.valuesFile).toBe('infra/keda/values.yaml');
    expect(chartSource(keda)).toEqual(['keda', '--repo', KEDA_REPOSITORY, '--version', keda.chart.version]);
  });

  it('covers every environment where an app scales with KEDA (production’s fulfillment worker)', () => {
    expect(kedaEnvs).toContain('production');
    for (const env of kedaEnvs) expect(Object.keys(entry('keda').environments)).toContain(env);
  });

  it.each(envs)('sets only parameters the pinned chart documents (%s)', (env) => {
    const { chart } = entry('keda');
    const patterns = DOCUMENTED_KEDA[`${chart.name}@${chart.version}`];
    expect(patterns, `${chart.name} ${chart.version}: check its parameters and list them here`).toBeDefined();
    const unknown = leaves(infrastructureValues(ws, entry('keda'), env)).filter((p) => !documented(patterns!, p));
    expect(unknown).toEqual([]);
  });

  it.each(envs)('installs the keda.sh CRDs and watches the apps’ namespace only (%s)', (env) => {
    const values = infrastructureValues(ws, entry('keda'), env) as {
      crds: { install: boolean };
      watchNamespace: string;
    };
    expect(values.crds.install).toBe(true);
    expect(values.watchNamespace).toBe(ws.file.environments[env]!.namespace);
  });

  it('production: two operators and two metrics servers (one leads), each with a disruption budget', () => {
    const values = infrastructureValues(ws, entry('keda'), 'production') as {
      operator: { replicaCount: number };
      metricsServer: { replicaCount: number };
      podDisruptionBudget: Record<string, { maxUnavailable: number }>;
    };
    expect([values.operator.replicaCount, values.metricsServer.replicaCount]).toEqual([2, 2]);
    expect(values.podDisruptionBudget).toEqual({
      operator: { maxUnavailable: 1 },
      metricServer: { maxUnavailable: 1 },
    });
  });

  it('`cmdr deploy keda --dry-run` prints the merged values and the helm command, not rendered offline', async () => {
    const run = await cmdr(['--json', 'deploy', 'keda', '--env', 'production', '--tag', 'infra', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    const [result] = run.json() as Record<string, unknown>[];
    expect(result).toMatchObject({ project: 'keda', namespace: 'keda', kubeContext: 'single-production' });
    expect(result?.note).toContain('not rendered');
    const args = result?.helmArgs as string[];
    expect(args.slice(0, 5)).toEqual(['template', 'keda', 'keda', '--repo', KEDA_REPOSITORY]);
    expect(result?.values).toMatchObject({ watchNamespace: 'single', crds: { install: true } });
  });
});
