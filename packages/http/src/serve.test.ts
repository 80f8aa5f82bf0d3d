import { silentLogger } from '@single/logger';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';
import { serve } from './serve.ts';

describe('serve', () => {
  it('finishes in-flight requests, then closes dependencies in order', async () => {
    const logger = silentLogger();
    const http = createHttpApp({ logger });
    let release: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      http.app.get('/slow', async () => {
        resolve();
        await new Promise<void>((r) => {
          release = r;
        });
        return { done: true };
      });
    });
    const closed: string[] = [];
    const server = await serve(http, {
      host: '127.0.0.1',
      port: 0,
      logger,
      shutdownTimeoutMs: 5_000,
      onClose: [async () => void closed.push('consumers'), async () => void closed.push('connections')],
    });
    const inFlight = fetch(`${server.address}/slow`);
    await started;
    const stopping = server.shutdown();
    expect(http.health.shuttingDown).toBe(true);
    expect(closed).toEqual([]);
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await stopping;
    expect(closed).toEqual(['consumers', 'connections']);
    await expect(fetch(`${server.address}/health/live`)).rejects.toThrow();
  });
});
