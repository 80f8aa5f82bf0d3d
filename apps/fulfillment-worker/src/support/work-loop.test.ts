import { describe, expect, it } from 'vitest';
import { WorkLoop } from './work-loop.ts';

const quiet = { warn: () => undefined };

describe('WorkLoop', () => {
  it('a stop that arrives during a tick ends the loop when the tick ends, not after the idle period', async () => {
    let release: () => void = () => undefined;
    let ticks = 0;
    const loop = new WorkLoop({
      name: 'slow-tick',
      idleMs: 60_000,
      logger: quiet,
      tick: async () => {
        ticks++;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return 0;
      },
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the tick is under way
    const stopped = loop.stop();
    release();
    const outcome = await Promise.race([
      stopped.then(() => 'stopped'),
      new Promise((resolve) => setTimeout(resolve, 2_000, 'still sleeping')),
    ]);
    expect(outcome).toBe('stopped');
    expect(ticks).toBe(1);
  });

  it('a stop while idle wakes the sleep at once', async () => {
    let ticks = 0;
    const loop = new WorkLoop({
      name: 'idle',
      idleMs: 60_000,
      logger: quiet,
      tick: async () => {
        ticks++;
        return 0;
      },
    });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(ticks).toBe(1);
  });
});
