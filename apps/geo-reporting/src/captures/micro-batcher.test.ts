import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.ts';

describe('MicroBatcher', () => {
  it('flushes the first item at once and groups what arrives during a flush, each submitter waiting for its flush', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const batcher = new MicroBatcher<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 3);
    const first = batcher.submit(1);
    const rest = [2, 3, 4, 5].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1]]);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await Promise.resolve();
    expect(firstDone).toBe(false); // not durable before its flush completes
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('rejects every submitter of a failed batch and keeps working', async () => {
    let fail = true;
    const batcher = new MicroBatcher<string>(async () => {
      if (fail) throw new Error('database down');
    });
    await expect(batcher.submit('a')).rejects.toThrow('database down');
    fail = false;
    await expect(batcher.submit('b')).resolves.toBeUndefined();
    await batcher.drained();
  });
});
