import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsUnavailableError } from './errors.ts';
import { createKafkaEventBus } from './kafka-event-bus.ts';
import type { EventBus } from './port.ts';

// No broker needed: these tests aim kafkajs at a port nobody listens on, and at a listener that accepts
// connections and never answers. Either must cost seconds, not a hang.
const LIMIT_MS = 3_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work()]);
  return { ms: performance.now() - started, outcome: outcome as PromiseSettledResult<T> };
}

function expectUnavailable(outcome: PromiseSettledResult<unknown>) {
  expect(outcome.status).toBe('rejected');
  if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(EventsUnavailableError);
}

const silentSockets = new Set<net.Socket>();
const silent = net.createServer((socket) => {
  silentSockets.add(socket);
  socket.on('close', () => silentSockets.delete(socket));
});
const targets: Record<string, () => Promise<string>> = {
  'a stopped broker (nothing listening)': async () => `127.0.0.1:${await freePort()}`,
  'a silent broker (accepts, never answers)': async () => `127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
};

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe.each(Object.entries(targets))('kafka event bus against %s', (_name, target) => {
  let bus: EventBus;
  beforeAll(async () => {
    bus = createKafkaEventBus({ brokers: [await target()], clientId: 'fail-fast-test' });
  });
  afterAll(async () => {
    const { ms } = await timed(() => bus.close());
    expect(ms).toBeLessThan(LIMIT_MS);
  });

  it(`rejects publish within ${LIMIT_MS} ms`, async () => {
    const { ms, outcome } = await timed(() => bus.publish('sales.v1', [{ key: 'k', value: 'v' }]));
    expectUnavailable(outcome);
    expect(ms).toBeLessThan(LIMIT_MS);
  });

  it(`rejects a second publish within ${LIMIT_MS} ms too (nothing left half-connected)`, async () => {
    const { ms, outcome } = await timed(() => bus.publish('sales.v1', [{ key: 'k', value: 'v' }]));
    expectUnavailable(outcome);
    expect(ms).toBeLessThan(LIMIT_MS);
  });

  it(`rejects subscribe within ${LIMIT_MS} ms`, async () => {
    const { ms, outcome } = await timed(() =>
      bus.subscribe({ topics: ['sales.v1'], groupId: 'g', fromBeginning: true, handler: async () => {} }),
    );
    expectUnavailable(outcome);
    expect(ms).toBeLessThan(LIMIT_MS);
  });

  it(`rejects ensureTopics within ${LIMIT_MS} ms`, async () => {
    const { ms, outcome } = await timed(() => bus.ensureTopics(['sales.v1'], 3));
    expectUnavailable(outcome);
    expect(ms).toBeLessThan(LIMIT_MS);
  });

  it(`reports unhealthy within ${LIMIT_MS} ms`, async () => {
    const { ms, outcome } = await timed(() => bus.health());
    expect(outcome).toEqual({ status: 'fulfilled', value: false });
    expect(ms).toBeLessThan(LIMIT_MS);
  });
});
