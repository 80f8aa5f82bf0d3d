import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ExitCode } from '../exit-codes.ts';
import { checkCluster, loadKubeconfig } from './preflight.ts';

// A kubeconfig whose server is not the Kubernetes API (a load balancer, a Rancher-style proxy URL missing its
// path, a TLS-inspecting proxy) answers 404 '404 page not found' to everything. Preflight read any 404 as
// Kubernetes' own and told the operator to create a namespace that exists (exit 4); only a Status NotFound
// means missing. Seen failing on the old checkCluster.
let server: Server;
let kubeconfig: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kubeconfig = join(mkdtempSync(join(tmpdir(), 'cmdr-kc-')), 'config');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lb', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'deployer', user: { token: 't' } }],
      contexts: [{ name: 'single-staging', context: { cluster: 'lb', user: 'deployer' } }],
      'current-context': 'single-staging',
    }),
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('preflight against a server that is not the Kubernetes API', () => {
  it('is unavailable (exit 5) naming the server, not a missing namespace', async () => {
    const error = await checkCluster(
      { kubeContext: 'single-staging', namespace: 'single' },
      new Map([['artist-api', { keys: new Set(['DATABASE_URL']), usedBy: new Set(['Deployment/artist-api']) }]]),
      { env: { KUBECONFIG: kubeconfig } },
    ).then(
      () => undefined,
      (caught: { message: string; exitCode: number }) => caught,
    );
    expect(error?.exitCode).toBe(ExitCode.unavailable);
    expect(error?.message).toMatch(/answered 404 without a Kubernetes status/);
    expect(error?.message).not.toMatch(/does not exist/);
  });
});

describe('a KUBECONFIG file that is not a kubeconfig', () => {
  // Seen failing on the old loadKubeconfig: YAML that does not parse was read as a kubeconfig without the
  // context, and a list as a TypeError from inside the client. Empty files and 'null' stay empty configs.
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'cmdr-kc-')), 'config');
    writeFileSync(path, text);
    return path;
  };
  it.each([
    [': : garbage [', /is not YAML/],
    ['[1, 2]', /is not a kubeconfig \(not a YAML mapping/],
  ])('%j is refused naming the file (exit 5)', async (text, reason) => {
    const path = file(text);
    const error = await loadKubeconfig(path).then(
      () => undefined,
      (caught: { message: string; exitCode: number }) => caught,
    );
    expect(error?.exitCode).toBe(ExitCode.unavailable);
    expect(error?.message).toContain(path);
    expect(error?.message).toMatch(reason);
  });
  it.each(['', 'null\n'])('%j is an empty config, skipped as kubectl does', async (text) => {
    const kc = await loadKubeconfig(`${file(text)}:${kubeconfig}`);
    expect(kc.getContextObject('single-staging')).not.toBeNull();
  });
});
