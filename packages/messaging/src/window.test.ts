import { describe, expect, it } from 'vitest';
import { InFlightWindow } from './window.ts';

const timeout = () => new Error('timeout');

describe('InFlightWindow', () => {
  it('hands out at most `size` slots and passes freed slots to waiters in order', async () => {
    const window = new InFlightWindow(2);
    const far = Date.now() + 10_000;
    const first = await window.acquire(far, timeout);
    await window.acquire(far, timeout);
    const order: string[] = [];
    const third = window.acquire(far, timeout).then((release) => {
      order.push('third');
      return release;
    });
    const fourth = window.acquire(far, timeout).then(() => order.push('fourth'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    expect(window.inUse).toBe(2);
    first();
    first(); // releasing twice frees one slot only
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(window.inUse).toBe(2);
  });

  it('rejects a waiter at its deadline without consuming a slot', async () => {
    const window = new InFlightWindow(1);
    const release = await window.acquire(Date.now() + 1000, timeout);
    await expect(window.acquire(Date.now() + 20, timeout)).rejects.toThrow('timeout');
    release();
    expect(window.inUse).toBe(0);
    (await window.acquire(Date.now() + 20, timeout))();
    expect(window.inUse).toBe(0);
  });
});
