import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ExitCode } from '../exit-codes.ts';
import { helmBinary } from '../helm/binary.ts';
import { isPlaceholderRegistry } from '../projects.ts';
import { fakeKubeconfig } from '../test-support/kubeconfig.ts';
import { REPO_ROOT } from '../test-support/run.ts';

// projects.yaml ships ECR's all-zero account as its registry. `cmdr images push`, `deploy` and `promote` refuse
// it with the operator's way out (CMDR_REGISTRY or projects.yaml) before touching anything: each tool they
// drive is a recorder here (buildah and helm log their calls, the kube context is an API server that logs its
// requests), and a refused command must have left all three empty.
const PLACEHOLDER = parse(readFileSync(join(REPO_ROOT, 'projects.yaml'), 'utf8')).registry as string;
const REAL = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/single';
const TAG = 'c0ffee1';
const DIGEST = `sha256:${'b'.repeat(64)}`;
const dir = mkdtempSync(join(tmpdir(), 'cmdr-placeholder-'));
const log = join(dir, 'calls.log');
const kubeconfig = join(dir, 'kubeconfig');
const apiRequests: string[] = [];
let server: Server;

beforeAll(async () => {
  // buildah: logs, and writes a digest where push asks for one (--digestfile) so a real registry's push completes.
  writeFileSync(
    join(dir, 'buildah'),
    `#!/bin/sh
echo "buildah $*" >> "${log}"
while [ $# -gt 0 ]; do
  if [ "$1" = --digestfile ]; then printf '%s' "${DIGEST}" > "$2"; fi
  shift
done
exit 0
`,
  );
  writeFileSync(join(dir, 'helm'), `#!/bin/sh\necho "helm $1" >> "${log}"\nexec "${helmBinary()}" "$@"\n`);
  chmodSync(join(dir, 'buildah'), 0o755);
  chmodSync(join(dir, 'helm'), 0o755);
  server = createServer((req, res) => {
    apiRequests.push(`${req.method} ${req.url}`);
    res.writeHead(503).end();
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
  rmSync(log, { force: true });
  rmSync(join(dir, 'images.json'), { force: true });
  apiRequests.length = 0;
});

const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

/** A record in the shape `cmdr images push` writes (images) or deploy writes (state), for every project. */
function record(kind: 'images' | 'state', repositoryBase: string): string {
  const projects = ['artist-api', 'webhook-dispatcher', 'fulfillment-worker', 'geo-reporting', 'dashboard'];
  const entry = (project: string) =>
    kind === 'images'
      ? { repository: `${repositoryBase}/${project}`, tag: TAG, digest: DIGEST, pushedAt: '2026-12-07T00:00:00Z' }
      : {
          tag: TAG,
          repository: `${repositoryBase}/${project}`,
          digest: DIGEST,
          deployedAt: '2026-12-07T00:00:00Z',
          chart: `charts/${project}`,
        };
  const file = join(dir, `${kind}-${Math.random().toString(36).slice(2)}.json`);
  const body = Object.fromEntries(projects.map((p) => [p, entry(p)]));
  writeFileSync(file, JSON.stringify(kind === 'images' ? { [TAG]: body } : { staging: body }));
  return file;
}

function cmdr(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', join(REPO_ROOT, 'apps/cmdr/src/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        HOME: dir,
        KUBECONFIG: kubeconfig,
        HELM_BIN: join(dir, 'helm'),
        CMDR_STATE_FILE: join(dir, 'no-state.json'),
        CMDR_IMAGES_FILE: join(dir, 'images.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

const WAY_OUT =
  "a placeholder (AWS account 000000000000, nobody's registry): set CMDR_REGISTRY to your registry (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/single) or edit registry: in projects.yaml";

function expectRefusedUntouched(run: { code: number | null; stderr: string }, said: string) {
  expect(run.stderr).toContain(said);
  expect(run.code).toBe(ExitCode.conflict);
  expect(calls()).toEqual([]);
  expect(apiRequests).toEqual([]);
}

describe('the placeholder registry', () => {
  it('is what projects.yaml ships, and only the all-zero ECR account is one', () => {
    expect(isPlaceholderRegistry(PLACEHOLDER)).toBe(true);
    expect(isPlaceholderRegistry('000000000000.dkr.ecr.us-east-1.amazonaws.com/single/artist-api')).toBe(true);
    // The dual-stack endpoints, and a host written in capitals (DNS names are case-insensitive).
    expect(isPlaceholderRegistry('000000000000.dkr-ecr.eu-west-1.on.aws/single')).toBe(true);
    expect(isPlaceholderRegistry('000000000000.dkr-ecr-fips.us-east-1.on.aws/single')).toBe(true);
    expect(isPlaceholderRegistry('000000000000.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/single')).toBe(true);
    expect(isPlaceholderRegistry('000000000000.DKR.ECR.EU-WEST-1.AMAZONAWS.COM/single')).toBe(true);
    expect(isPlaceholderRegistry('123456789012.dkr-ecr.eu-west-1.on.aws/single')).toBe(false);
    expect(isPlaceholderRegistry(REAL)).toBe(false);
    expect(isPlaceholderRegistry('registry.example/000000000000.dkr.ecr.eu-west-1.amazonaws.com')).toBe(false);
    expect(isPlaceholderRegistry('1000000000000.dkr.ecr.eu-west-1.amazonaws.com/single')).toBe(false);
  });
});

describe('cmdr images push', () => {
  it("refuses projects.yaml's placeholder before any buildah call", async () => {
    const run = await cmdr(['images', 'push', 'artist-api', '--tag', TAG]);
    expectRefusedUntouched(run, `cmdr: projects.yaml's registry is ${PLACEHOLDER}, ${WAY_OUT}; nothing pushed`);
  }, 30_000);

  it('refuses a placeholder in $CMDR_REGISTRY, naming it as the source', async () => {
    const other = '000000000000.dkr.ecr.us-east-1.amazonaws.com/single';
    const run = await cmdr(['images', 'push', '--tag', TAG], { CMDR_REGISTRY: other });
    expectRefusedUntouched(run, `cmdr: $CMDR_REGISTRY is ${other}, ${WAY_OUT}; nothing pushed`);
  }, 30_000);

  it('pushes to the registry $CMDR_REGISTRY names (the way out works)', async () => {
    const run = await cmdr(['images', 'push', 'artist-api', '--tag', TAG], { CMDR_REGISTRY: REAL });
    expect(run.stderr).not.toContain('placeholder');
    expect(run.code).toBe(0);
    expect(calls()).toEqual([expect.stringContaining(`push --quiet --tls-verify=true --digestfile`)]);
    expect(calls()[0]).toContain(`docker://${REAL}/artist-api:${TAG}`);
  }, 30_000);
});

describe('cmdr deploy', () => {
  it('refuses an image of the placeholder registry before helm or the cluster', async () => {
    const run = await cmdr(['deploy', 'artist-api', '--env', 'staging', '--tag', TAG]);
    expectRefusedUntouched(run, `cmdr: projects.yaml's registry is ${PLACEHOLDER}, ${WAY_OUT}; nothing deployed`);
  }, 30_000);

  it('refuses `all` before the first project is checked against the cluster', async () => {
    const run = await cmdr(['deploy', 'all', '--env', 'staging', '--tag', TAG]);
    expectRefusedUntouched(run, `projects.yaml's registry is ${PLACEHOLDER}`);
  }, 30_000);

  it('refuses an images record that pins the placeholder registry', async () => {
    const images = record('images', `${PLACEHOLDER}`);
    const run = await cmdr(['deploy', 'artist-api', '--env', 'staging', '--tag', TAG], { CMDR_IMAGES_FILE: images });
    expectRefusedUntouched(
      run,
      `cmdr: the image recorded for artist-api ${TAG} is ${PLACEHOLDER}/artist-api, ${WAY_OUT}; then push the images there again (cmdr images push); nothing deployed`,
    );
  }, 30_000);

  it('goes on to the cluster with images recorded in a real registry (projects.yaml still the placeholder)', async () => {
    const images = record('images', REAL);
    const run = await cmdr(['deploy', 'artist-api', '--env', 'staging', '--tag', TAG], { CMDR_IMAGES_FILE: images });
    expect(run.stderr).not.toContain('placeholder');
    expect(run.code).toBe(ExitCode.unavailable); // the fake API answers 503
    expect(apiRequests.length).toBeGreaterThan(0);
  }, 30_000);

  it('a dry run changes nothing and still renders, under $CMDR_REGISTRY when set', async () => {
    const dryRun = (env: Record<string, string> = {}) =>
      cmdr(['--json', 'deploy', 'artist-api', '--env', 'staging', '--tag', TAG, '--dry-run'], env);
    const image = (run: { stdout: string }) => (JSON.parse(run.stdout) as { image: string }[])[0]?.image;
    const plain = await dryRun();
    expect(plain.code).toBe(0);
    expect(image(plain)).toBe(`${PLACEHOLDER}/artist-api:${TAG}`);
    const withEnv = await dryRun({ CMDR_REGISTRY: REAL });
    expect(withEnv.code).toBe(0);
    expect(image(withEnv)).toBe(`${REAL}/artist-api:${TAG}`);
    expect(apiRequests).toEqual([]);
  }, 60_000);
});

describe('cmdr promote', () => {
  it.each([['artist-api'], ['all']])(
    '%s: refuses a source record that pins the placeholder registry, before the target cluster',
    async (project) => {
      const state = record('state', PLACEHOLDER);
      const run = await cmdr(
        ['promote', project, '--from', 'staging', '--to', 'production', '--tag-source', 'state', '--expect-tag', TAG],
        { CMDR_STATE_FILE: state },
      );
      // One project says it alone; `all` names every project's refusal in one failure (check-targets.ts checkEach).
      const said = `the image recorded for artist-api ${TAG} is ${PLACEHOLDER}/artist-api, ${WAY_OUT}`;
      expectRefusedUntouched(run, project === 'all' ? `  - artist-api: ${said}` : `cmdr: ${said}`);
    },
    30_000,
  );
});
