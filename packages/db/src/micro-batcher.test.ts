import { describe, expect, it } from 'vitest';
import { MicroBatcher, MicroBatcherFullError } from './micro-batcher.ts';

describe('MicroBatcher', () => {
  it('flushes the first item alone, then everything that queued meanwhile as one batch', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((i) => i * 2);
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.submit(n)));
    expect(results).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('respects the maximum batch size and rejects every item of a failed batch', async () => {
    const sizes: number[] = [];
    let fail = false;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        if (fail) throw new Error('db down');
        return items;
      },
      { maxBatch: 2 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)));
    expect(sizes).toEqual([1, 2, 2]);
    fail = true;
    await expect(batcher.submit(9)).rejects.toThrow('db down');
    await batcher.drained();
  });

  it('runs up to `concurrency` flushes at once and drains them all', async () => {
    let inFlight = 0;
    let peak = 0;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return items;
      },
      { concurrency: 3 },
    );
    const all = Promise.all(Array.from({ length: 20 }, (_, n) => batcher.submit(n)));
    const drained = batcher.drained();
    expect(await all).toEqual(Array.from({ length: 20 }, (_, n) => n));
    await drained;
    expect(peak).toBe(3);
  });

  it('lingers before each flush that is not full, so what arrives meanwhile rides along', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number>(
      async (items) => {
        batches.push(items);
        return undefined;
      },
      { lingerMs: 30, maxBatch: 3 },
    );
    const first = batcher.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([]); // still lingering
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    await Promise.all([first, ...rest]);
    // One batch of the maximum size, then the remainder after a linger of its own.
    expect(batches).toEqual([[1, 2, 3], [4]]);
    await batcher.drained();
  });

  it('is not durable before its flush completes', async () => {
    let release: () => void = () => {};
    const batcher = new MicroBatcher<number>(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return undefined;
    });
    const first = batcher.submit(1);
    let done = false;
    void first.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    release();
    await first;
    await batcher.drained();
  });

  it('rejects every submitter of a failed batch and keeps working', async () => {
    let fail = true;
    const batcher = new MicroBatcher<string>(async () => {
      if (fail) throw new Error('database down');
      return undefined;
    });
    await expect(batcher.submit('a')).rejects.toThrow('database down');
    fail = false;
    await expect(batcher.submit('b')).resolves.toBeUndefined();
    await batcher.drained();
  });

  it('refuses an item at once when `maxQueued` items already wait, and takes items again once there is room', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push(items);
        if (items[0] === 1) await new Promise<void>((resolve) => (release = resolve));
        return items;
      },
      { maxQueued: 2 },
    );
    const inFlight = batcher.submit(1);
    const queued = [batcher.submit(2), batcher.submit(3)];
    await expect(batcher.submit(4)).rejects.toBeInstanceOf(MicroBatcherFullError);
    expect(batcher.queued).toBe(2);
    release();
    expect(await Promise.all([inFlight, ...queued])).toEqual([1, 2, 3]);
    expect(await batcher.submit(5)).toBe(5);
    expect(batches).toEqual([[1], [2, 3], [5]]);
  });

  it('takes an item out of the queue when its signal aborts, so it is never flushed', async () => {
    const batches: string[][] = [];
    let release: () => void = () => {};
    const batcher = new MicroBatcher<string>(async (items) => {
      batches.push(items);
      if (items[0] === 'busy') await new Promise<void>((resolve) => (release = resolve));
      return undefined;
    });
    const busy = batcher.submit('busy');
    const answered = new AbortController();
    const late = batcher.submit('answered', { signal: answered.signal });
    const kept = batcher.submit('kept', { signal: new AbortController().signal });
    answered.abort(new Error('request answered 503'));
    await expect(late).rejects.toThrow('request answered 503');
    await expect(batcher.submit('too late', { signal: answered.signal })).rejects.toThrow('request answered 503');
    release();
    await Promise.all([busy, kept]);
    expect(batches).toEqual([['busy'], ['kept']]);
  });
});
