import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { helmBinary } from '../helm/binary.ts';
import { fakeKubeconfig } from '../test-support/kubeconfig.ts';
import { REPO_ROOT } from '../test-support/run.ts';

// `cmdr deploy` against a fake Kubernetes API server (the two GETs it makes: the namespace and each Secret),
// reached through a kubeconfig with the staging context of projects.yaml, as helm would be. helm is the real
// one behind a wrapper that records its calls and stops at `upgrade`: a check that fails must fail before it.
const dir = mkdtempSync(join(tmpdir(), 'cmdr-preflight-'));
const helmLog = join(dir, 'helm.log');
const wrapper = join(dir, 'helm');
const kubeconfig = join(dir, 'kubeconfig');
let server: Server;
const namespaces = new Set<string>();
const secrets = new Map<string, Record<string, string>>();
const requests: string[] = [];
let forbidNamespaces = false;
/** API discovery (GET /apis/<group>/<version>): the CRD-backed kinds the fake cluster serves. */
const served = new Map<string, string[]>();
const TRAEFIK_KINDS: [string, string[]] = ['traefik.io/v1alpha1', ['IngressRoute', 'Middleware']];
// What `cmdr images push` records: a real deploy pins these digests (and refuses a tag without one).
const TAG = '2026.12.07-abc1234';
const imagesRecord = join(dir, 'images.json');
writeFileSync(
  imagesRecord,
  JSON.stringify({
    [TAG]: Object.fromEntries(
      ['artist-api', 'webhook-dispatcher', 'fulfillment-worker', 'geo-reporting', 'dashboard'].map((project) => [
        project,
        {
          repository: `registry.example/single/${project}`,
          tag: TAG,
          digest: `sha256:${'a'.repeat(64)}`,
          pushedAt: '2026-12-07T00:00:00Z',
        },
      ]),
    ),
  }),
);

function b64(value: string) {
  return Buffer.from(value).toString('base64');
}

beforeAll(async () => {
  writeFileSync(
    wrapper,
    `#!/bin/sh
echo "$1" >> "${helmLog}"
if [ "$1" = upgrade ]; then exit 0; fi
exec "${helmBinary()}" "$@"
`,
  );
  chmodSync(wrapper, 0o755);
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const notFound = (kind: string, name: string) =>
      send(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: `${kind} "${name}" not found`,
      });
    const discovery = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (req.method === 'GET' && discovery) {
      const groupVersion = discovery[1]!;
      const kinds = served.get(groupVersion);
      if (kinds === undefined) return notFound('groupversion', groupVersion);
      return send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion,
        resources: kinds.map((kind) => ({
          name: `${kind.toLowerCase()}s`,
          singularName: kind.toLowerCase(),
          namespaced: true,
          kind,
          verbs: ['get', 'list', 'create', 'update', 'patch', 'delete', 'watch'],
        })),
      });
    }
    const secret = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
    const namespace = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && secret) {
      const [, ns, name] = secret as unknown as [string, string, string];
      const data = namespaces.has(ns) ? secrets.get(name) : undefined;
      if (data === undefined) return notFound('secrets', name);
      return send(200, { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: ns }, type: 'Opaque', data });
    }
    if (req.method === 'GET' && namespace) {
      const [, ns] = namespace as unknown as [string, string];
      // A deployer bound to a Role in its namespace: no get on namespaces (cluster-scoped), as RBAC answers it.
      if (forbidNamespaces) {
        return send(403, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Forbidden',
          code: 403,
          message: `namespaces "${ns}" is forbidden: User "deployer" cannot get resource "namespaces" in API group "" at the cluster scope`,
        });
      }
      if (!namespaces.has(ns)) return notFound('namespaces', ns);
      return send(200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: ns }, status: { phase: 'Active' } });
    }
    send(405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 405, message: 'not served by the fake' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  writeFileSync(kubeconfig, fakeKubeconfig(port));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  forbidNamespaces = false;
  served.clear();
  served.set(...TRAEFIK_KINDS); // Traefik's CRDs: every cluster the apps run in has them (infrastructure entry traefik)
  namespaces.clear();
  secrets.clear();
  requests.length = 0;
  rmSync(helmLog, { force: true });
});

function helmCalls(): string[] {
  return existsSync(helmLog) ? readFileSync(helmLog, 'utf8').trim().split('\n') : [];
}

/**
 * Under 10 s, the bar; on a machine so loaded that starting node and rendering the chart alone take
 * longer (a dry run: the same work but the cluster check), within 5 s of that dry run.
 */
async function deadlineMs(): Promise<number> {
  const dryRun = await deploy('artist-api', ['--dry-run']);
  expect(dryRun.code).toBe(0);
  return Math.max(10_000, dryRun.ms + 5_000);
}

function deploy(
  project: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; ms: number }> {
  return run(['deploy', project, '--env', 'staging', '--tag', TAG, ...extra], env);
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', join(REPO_ROOT, 'apps/cmdr/src/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        KUBECONFIG: kubeconfig,
        HELM_BIN: wrapper,
        CMDR_STATE_FILE: join(dir, 'state.json'),
        CMDR_IMAGES_FILE: imagesRecord,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

const ARTIST_API_SECRET = {
  DATABASE_URL: b64('postgres://x'),
  RABBITMQ_URL: b64('amqp://x'),
  REDIS_URL: b64('redis://x'),
  SHOPIFY_CLIENT_ID: b64('client-id'),
  SHOPIFY_CLIENT_SECRET: b64('client-secret'),
  SHOP_TOKEN_KEYS: b64(`k1:${Buffer.alloc(32).toString('base64')}`),
};

describe('cmdr deploy checks the cluster before helm upgrade', () => {
  it('fails in seconds naming a missing namespace', async () => {
    const run = await deploy('artist-api');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('namespace "single" does not exist in single-staging');
    expect(run.ms).toBeLessThan(await deadlineMs());
    expect(helmCalls()).not.toContain('upgrade');
    expect(requests).toContain('GET /api/v1/namespaces/single');
  }, 60_000);

  it('fails in seconds naming each missing Secret, its keys and who reads it', async () => {
    namespaces.add('single');
    const run = await deploy('artist-api');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      'Secret "artist-api" is missing with keys DATABASE_URL, RABBITMQ_URL, REDIS_URL, SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET, SHOP_TOKEN_KEYS (used by Deployment/artist-api, Job/artist-api-migrate)',
    );
    expect(helmCalls()).toEqual(['version', 'template']);
    expect(run.ms).toBeLessThan(await deadlineMs());
  }, 60_000);

  it('names the keys a Secret lacks', async () => {
    namespaces.add('single');
    secrets.set('artist-api', { DATABASE_URL: ARTIST_API_SECRET.DATABASE_URL });
    const run = await deploy('artist-api');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      'Secret "artist-api" lacks keys RABBITMQ_URL, REDIS_URL, SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET, SHOP_TOKEN_KEYS',
    );
    expect(helmCalls()).not.toContain('upgrade');
  }, 60_000);

  it('runs helm upgrade once the namespace and every Secret and key are there', async () => {
    namespaces.add('single');
    secrets.set('artist-api', ARTIST_API_SECRET);
    const run = await deploy('artist-api');
    expect(run.stderr).not.toContain('not deployed');
    expect(run.code).toBe(0);
    expect(helmCalls()).toContain('upgrade');
    expect(requests).toContain('GET /api/v1/namespaces/single/secrets/artist-api');
  }, 60_000);

  it('`deploy all` checks every project first: nothing is upgraded while one Secret is missing', async () => {
    namespaces.add('single');
    secrets.set('artist-api', ARTIST_API_SECRET);
    secrets.set('webhook-dispatcher', {
      ...ARTIST_API_SECRET,
      SHOPIFY_WEBHOOK_SECRETS: b64('x'.repeat(32)),
    });
    const run = await deploy('all');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Secret "fulfillment-worker" is missing');
    expect(helmCalls()).not.toContain('upgrade');
  }, 60_000);

  it('`deploy all` against a namespace without Secrets names every project’s missing Secret, not only the first', async () => {
    namespaces.add('single');
    const run = await deploy('all');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('not deployed: 5 of 5 projects are not ready, nothing upgraded:');
    for (const project of ['artist-api', 'webhook-dispatcher', 'fulfillment-worker', 'geo-reporting', 'dashboard']) {
      expect(run.stderr).toMatch(
        new RegExp(`  - ${project}: single-staging/single is not ready: .*Secret "${project}" is missing with keys `),
      );
    }
    // One failed run, one message: the projects' keys too (webhook-dispatcher's own).
    expect(run.stderr).toContain('SHOPIFY_WEBHOOK_SECRETS');
    expect(helmCalls()).not.toContain('upgrade');
  }, 90_000);

  it('`promote all` checks every project in the target first: nothing is upgraded while one Secret is missing', async () => {
    // What deploy-staging recorded: every project at TAG, pinned by digest.
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({
        staging: Object.fromEntries(
          ['artist-api', 'webhook-dispatcher', 'fulfillment-worker', 'geo-reporting', 'dashboard'].map((project) => [
            project,
            {
              tag: TAG,
              repository: `registry.example/single/${project}`,
              digest: `sha256:${'b'.repeat(64)}`,
              deployedAt: '2026-12-07T06:00:00Z',
              chart: `charts/${project}`,
            },
          ]),
        ),
      }),
    );
    namespaces.add('single');
    secrets.set('artist-api', ARTIST_API_SECRET);
    secrets.set('webhook-dispatcher', { ...ARTIST_API_SECRET, SHOPIFY_WEBHOOK_SECRETS: b64('x'.repeat(32)) });
    const promoted = await run([
      'promote',
      'all',
      '--from',
      'staging',
      '--to',
      'production',
      '--tag-source',
      'state',
      '--expect-tag',
      TAG,
    ]);
    expect(promoted.code).toBe(4);
    expect(promoted.stderr).toContain('single-production/single is not ready');
    expect(promoted.stderr).toContain('Secret "fulfillment-worker" is missing');
    expect(helmCalls()).not.toContain('upgrade');
    // The source is the record: the staging cluster is never asked (production's kubeconfig cannot reach it).
    expect(helmCalls()).not.toContain('get');
  }, 90_000);

  it('a deployer that may not read the namespace (namespace-scoped Role) deploys when its Secrets are readable', async () => {
    forbidNamespaces = true;
    namespaces.add('single');
    secrets.set('artist-api', ARTIST_API_SECRET);
    const run = await deploy('artist-api');
    expect(run.stderr).not.toContain('not deployed');
    expect(run.code).toBe(0);
    expect(helmCalls()).toContain('upgrade');
    expect(requests).toContain('GET /api/v1/namespaces/single');
  }, 60_000);

  it('a deployer that may not read the namespace is still refused, with the doubt said, when a Secret is missing', async () => {
    forbidNamespaces = true;
    const run = await deploy('artist-api');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Secret "artist-api" is missing');
    expect(run.stderr).toContain('namespace "single" could not be read, forbidden: it may not exist either');
    expect(helmCalls()).not.toContain('upgrade');
  }, 60_000);
});

describe('cmdr deploy reads $KUBECONFIG as kubectl and helm do', () => {
  it('merges every file of a colon-separated list (missing ones skipped, the first to name something wins)', async () => {
    namespaces.add('single');
    secrets.set('artist-api', ARTIST_API_SECRET);
    // The first file knows another cluster only, and names a `deployer` user of its own (the first one wins,
    // as in kubectl: the fake accepts any token); the staging context is in the second.
    const other = join(dir, 'other-kubeconfig');
    writeFileSync(
      other,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'elsewhere', cluster: { server: 'https://elsewhere.example:6443' } }],
        users: [{ name: 'deployer', user: { token: 'another-token' } }],
        contexts: [{ name: 'elsewhere', context: { cluster: 'elsewhere', user: 'deployer' } }],
        'current-context': 'elsewhere',
      }),
    );
    const run = await deploy('artist-api', [], {
      KUBECONFIG: [other, join(dir, 'no-such-file'), '', kubeconfig].join(':'),
    });
    expect(run.stderr).not.toContain('does not exist in the kubeconfig');
    expect(run.code).toBe(0);
    expect(helmCalls()).toContain('upgrade');
    expect(requests).toContain('GET /api/v1/namespaces/single/secrets/artist-api');
  }, 60_000);
});

// Issue 18: production's fulfillment worker renders a KEDA ScaledObject and TriggerAuthentication; in a cluster
// without KEDA's CRDs helm fails the whole release on them. The preflight asks API discovery first.
describe('cmdr deploy checks the CRDs its objects need', () => {
  const WORKER_SECRET = {
    DATABASE_URL: b64('postgres://x'),
    RABBITMQ_URL: b64('amqp://x'),
    DOWNLOAD_TOKEN_SECRETS: b64('x'.repeat(32)),
    FAN_HASH_SECRET: b64('x'.repeat(32)),
    SMTP_URL: b64('smtp://x'),
    SHOP_TOKEN_KEYS: b64(`k1:${Buffer.alloc(32).toString('base64')}`),
  };
  const deployWorker = () => run(['deploy', 'fulfillment-worker', '--env', 'production', '--tag', TAG]);

  it('fails in seconds naming scaledobjects.keda.sh when KEDA is not installed', async () => {
    namespaces.add('single');
    secrets.set('fulfillment-worker', WORKER_SECRET);
    const started = await deployWorker();
    expect(started.code).toBe(4);
    expect(started.stderr).toContain(
      'CRD "scaledobjects.keda.sh" is not installed (no keda.sh/v1alpha1 ScaledObject in the cluster; used by ScaledObject/fulfillment-worker): install KEDA first: cmdr deploy keda',
    );
    expect(started.stderr).toContain('CRD "triggerauthentications.keda.sh" is not installed');
    expect(started.stderr).not.toContain('Secret');
    expect(requests).toContain('GET /apis/keda.sh/v1alpha1');
    expect(helmCalls()).not.toContain('upgrade');
    expect(started.ms).toBeLessThan(await deadlineMs());
  }, 60_000);

  it('names the one kind a served group lacks, and deploys once KEDA serves both', async () => {
    namespaces.add('single');
    secrets.set('fulfillment-worker', WORKER_SECRET);
    served.set('keda.sh/v1alpha1', ['ScaledObject']);
    const partial = await deployWorker();
    expect(partial.code).toBe(4);
    expect(partial.stderr).toContain('CRD "triggerauthentications.keda.sh" is not installed');
    expect(partial.stderr).not.toContain('scaledobjects.keda.sh');

    served.set('keda.sh/v1alpha1', ['ScaledObject', 'TriggerAuthentication', 'ScaledJob']);
    const deployed = await deployWorker();
    expect(deployed.stderr).not.toContain('not deployed');
    expect(deployed.code).toBe(0);
    expect(helmCalls()).toContain('upgrade');
  }, 60_000);

  it('names Traefik’s CRDs, and what installs them, in a cluster without Traefik', async () => {
    namespaces.add('single');
    secrets.set('artist-api', ARTIST_API_SECRET);
    served.delete(TRAEFIK_KINDS[0]);
    const missing = await deploy('artist-api');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('CRD "ingressroutes.traefik.io" is not installed');
    expect(missing.stderr).toContain('install Traefik first: cmdr deploy traefik');
  }, 60_000);
});

// Issue 18 review: what the check says when it cannot ask the cluster names the context, cluster, file or server.
describe('cmdr deploy names what it cannot reach', () => {
  const kubeconfigWith = (name: string, clusters: unknown[], contextCluster: string) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters,
        users: [{ name: 'deployer', user: { token: 'fake-token' } }],
        contexts: [{ name: 'single-staging', context: { cluster: contextCluster, user: 'deployer' } }],
        'current-context': 'single-staging',
      }),
    );
    return file;
  };

  it('a context whose cluster the kubeconfig does not define: exit 5 naming the context, the cluster and the file', async () => {
    const file = kubeconfigWith(
      'kubeconfig-no-cluster',
      [{ name: 'fake', cluster: { server: 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      'gone',
    );
    const run = await deploy('artist-api', [], { KUBECONFIG: file });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      `kube context "single-staging" names cluster "gone", which is not defined in the kubeconfig (${file})`,
    );
    expect(run.stderr).not.toContain('No active cluster');
    expect(helmCalls()).not.toContain('upgrade');
  }, 60_000);

  it('a refused connection: exit 5 naming the server and the system error, not only "fetch failed"', async () => {
    // A port nothing listens on: bound, then closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const file = kubeconfigWith(
      'kubeconfig-refused',
      [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      'fake',
    );
    const run = await deploy('artist-api', [], { KUBECONFIG: file });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`Kubernetes API unavailable (namespace single) at http://127.0.0.1:${port}: `);
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(helmCalls()).not.toContain('upgrade');
  }, 60_000);

  it('an empty KUBECONFIG is read as unset and named as ~/.kube/config, not as ()', async () => {
    const run = await deploy('artist-api', [], { KUBECONFIG: '' });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('kube context "single-staging" does not exist in the kubeconfig (~/.kube/config)');
    expect(run.stderr).not.toContain('()');
  }, 60_000);
});
