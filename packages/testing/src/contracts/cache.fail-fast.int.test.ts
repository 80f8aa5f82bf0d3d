import net from 'node:net';
import { type Cache, CacheUnavailableError, createRedisCache } from '@single/cache';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../redis.ts';

// The Redis adapter must never make its caller wait on a server that is away or silent.

const listeners: net.Server[] = [];
const sockets = new Set<net.Socket>();
const caches: Cache[] = [];

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  for (const socket of sockets) socket.destroy();
  await Promise.all(listeners.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  listeners.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy to the real Redis that can be frozen: it then keeps the connection open and forwards nothing. */
async function freezableProxy() {
  let frozen = false;
  const target = new URL(testRedisUrl());
  const port = await listen((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => {
      frozen = true;
    },
  };
}

function make(url: string): Cache {
  const cache = createRedisCache({ url, keyPrefix: `test:fail-fast:${process.pid}:` });
  caches.push(cache);
  return cache;
}

async function timedRejection(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - started, error };
}

describe('redis cache fails fast', () => {
  it('rejects at once with CacheUnavailableError when nothing listens', async () => {
    const cache = make(`redis://127.0.0.1:${await freePort()}`);
    const first = await timedRejection(() => cache.claim('k', 1_000));
    expect(first.error).toBeInstanceOf(CacheUnavailableError);
    expect(first.ms).toBeLessThan(1_000);
    const later = await timedRejection(() => cache.get('k'));
    expect(later.error).toBeInstanceOf(CacheUnavailableError);
    expect(later.ms).toBeLessThan(50);
    expect(await cache.health()).toBe(false);
  });

  it('rejects within the connect timeout when the server accepts and never answers', async () => {
    const cache = make(`redis://127.0.0.1:${await listen(() => {})}`);
    const { ms, error } = await timedRejection(() => cache.claim('k', 1_000));
    expect(error).toBeInstanceOf(CacheUnavailableError);
    expect(ms).toBeLessThan(1_500);
  });

  it('rejects within the command timeout when a connected server stops answering', async () => {
    const proxy = await freezableProxy();
    const cache = make(proxy.url);
    expect(await cache.claim('frozen', 1_000)).toBe(true);
    proxy.freeze();
    const { ms, error } = await timedRejection(() => cache.claim('frozen-2', 1_000));
    expect(error).toBeInstanceOf(CacheUnavailableError);
    expect(ms).toBeLessThan(1_500);
    expect(await cache.health()).toBe(false);
  });
});
