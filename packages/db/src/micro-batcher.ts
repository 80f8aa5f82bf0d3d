export interface MicroBatcherOptions {
  /** Items per flush at most. */
  maxBatch?: number;
  /** Flushes in flight at once. */
  concurrency?: number;
  /**
   * Wait this long before each flush that is not already full (0: flush at once). Under a closed loop of
   * clients, half of them otherwise wait on each flush: a millisecond lets them all ride in one.
   */
  lingerMs?: number;
}

/**
 * Natural batching: an item that arrives while fewer than `concurrency` flushes run is flushed at once (or
 * after `lingerMs`); items that arrive while all flush slots are busy wait and go together in the next free
 * one. Each submitter waits for its own flush, so what it submitted is durable when its promise resolves:
 * one database round trip for hundreds of requests under a release-day storm.
 */
export class MicroBatcher<In, Out = void> {
  private queue: { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly flush: (items: In[]) => Promise<Out[] | undefined>;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly lingerMs: number;

  /** `flush` returns one result per item, in order (or nothing when Out is void). */
  constructor(flush: (items: In[]) => Promise<Out[] | undefined>, options: MicroBatcherOptions = {}) {
    this.flush = flush;
    this.maxBatch = options.maxBatch ?? 500;
    this.concurrency = options.concurrency ?? 1;
    this.lingerMs = options.lingerMs ?? 0;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running < this.concurrency) void this.drain();
    });
  }

  /** Resolves once everything submitted so far has been flushed (graceful shutdown). */
  drained(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain() {
    this.running++;
    while (this.queue.length > 0) {
      if (this.lingerMs > 0 && this.queue.length < this.maxBatch) {
        await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
      }
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.flush(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(results?.[i] as Out);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.running--;
    if (this.running === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
