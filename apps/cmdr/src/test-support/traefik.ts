import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from './dispatcher.ts';

const run = promisify(execFile);

/** The pinned Traefik binary, built from the Go module proxy on first use (scripts/traefik.sh). */
export async function traefikBinary(root: string): Promise<string> {
  const { stdout } = await run('bash', [join(root, 'scripts/traefik.sh')], {
    timeout: 30 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** The chart's per-entry-point forwardedHeaders block, as its pod template turns it into Traefik flags. */
export interface ForwardedHeaders {
  trustedIPs?: string[];
  insecure?: boolean;
}

export function entryPointArgs(name: string, port: number, forwarded: ForwardedHeaders | undefined): string[] {
  const args = [`--entryPoints.${name}.address=127.0.0.1:${port}`];
  if (forwarded?.trustedIPs?.length) {
    args.push(`--entryPoints.${name}.forwardedHeaders.trustedIPs=${forwarded.trustedIPs.join(',')}`);
  }
  if (forwarded?.insecure) args.push(`--entryPoints.${name}.forwardedHeaders.insecure`);
  return args;
}

/** An upstream that answers 204 and remembers the X-Forwarded-For each request reached it with. */
export async function startUpstream(): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(204).end();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RunningTraefik {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Traefik with one entry point and a file-provider router sending everything through `middleware` (a
 * Middleware CRD's spec, which the file provider takes key for key) to `upstream`.
 */
export async function startTraefik(options: {
  binary: string;
  entryPoint: string;
  forwarded: ForwardedHeaders | undefined;
  middleware: Record<string, unknown>;
  upstream: string;
}): Promise<RunningTraefik> {
  const dir = mkdtempSync(join(tmpdir(), 'traefik-'));
  const dynamic = join(dir, 'dynamic.yaml');
  writeFileSync(
    dynamic,
    stringify({
      http: {
        routers: {
          app: {
            rule: 'PathPrefix(`/`)',
            entryPoints: [options.entryPoint],
            middlewares: ['edge-limit'],
            service: 'app',
          },
        },
        middlewares: { 'edge-limit': options.middleware },
        services: { app: { loadBalancer: { servers: [{ url: options.upstream }] } } },
      },
    }),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    options.binary,
    [
      ...entryPointArgs(options.entryPoint, port, options.forwarded),
      `--providers.file.filename=${dynamic}`,
      '--log.level=ERROR',
      '--global.checkNewVersion=false',
      '--global.sendAnonymousUsage=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once the router answers through to the upstream (204), not merely when the port opens.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await send(port, { path: '/ready', xff: '192.0.2.250' }).catch(() => 0);
    if (status === 204) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`traefik did not route within 20 s (status ${status}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, output: () => output, stop };
}

const agents = new Map<string, import('node:http').Agent>();
async function agentFor(localAddress: string) {
  const { Agent } = await import('node:http');
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 32, localAddress });
    agents.set(localAddress, agent);
  }
  return agent;
}

/**
 * One request to Traefik from `from` (a loopback address: 127.0.0.1 plays the load balancer, 127.0.0.2 a
 * client reaching Traefik directly), with the X-Forwarded-For it carries. Resolves with the status.
 */
export async function send(
  port: number,
  options: { path?: string; xff?: string; from?: string } = {},
): Promise<number> {
  const agent = await agentFor(options.from ?? '127.0.0.1');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/v1/geo/captures',
        method: 'GET',
        agent,
        headers: options.xff === undefined ? {} : { 'x-forwarded-for': options.xff },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}
