import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Test tooling: the load balancer in front of an HTTP app's replicas during the rolling restart. Round robin
// over the replicas in rotation; a replica leaves the rotation before it gets SIGTERM, as a Kubernetes
// endpoint does when its readiness fails. A request whose connection to a replica fails before any answer
// (refused, reset) is tried on the next one, as an ingress does; the body is buffered so it can be.

export interface LoadBalancer {
  url: string;
  /** Replicas in rotation (base URLs). */
  backends: string[];
  /** Requests that reached no replica at all (answered 502 here). */
  failed: number;
  /** Connection attempts that failed and were tried on another replica. */
  retried: number;
  close(): Promise<void>;
}

export async function startLoadBalancer(backends: string[]): Promise<LoadBalancer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  const state: Omit<LoadBalancer, 'url' | 'close'> = { backends: [...backends], failed: 0, retried: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (tries: number) => {
        const pool = state.backends;
        if (pool.length === 0 || tries > 4) {
          state.failed += 1;
          res.writeHead(502).end();
          return;
        }
        const target = new URL(req.url ?? '/', pool[next++ % pool.length]);
        const forwarded = req.headers['x-forwarded-for'];
        const upstream = httpRequest(
          target,
          {
            method: req.method,
            agent,
            headers: {
              ...req.headers,
              host: target.host,
              // One more hop, as Traefik would be: it appends the address of its client (the sender, here).
              'x-forwarded-for': forwarded ? `${forwarded}, 127.0.0.1` : '127.0.0.1',
            },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            // The replica went away mid-answer: the client sees its connection cut, as it would behind a real one.
            answer.on('error', () => res.destroy());
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          state.retried += 1;
          setTimeout(() => attempt(tries + 1), 50);
        });
        upstream.end(body);
      };
      attempt(0);
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  // Longer than the sender's keep-alive (fetch: 4 s), so the proxy never closes a connection the sender is
  // just reusing: that race would show as the sender's ECONNRESET and is the tooling's, not the platform's.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
