/**
 * Natural batching: the first item after an idle period is flushed at once; items that arrive while a
 * flush is running wait for it and go together in the next one. Low latency when quiet, one database
 * round trip for hundreds of requests under a release-day storm.
 */
export class MicroBatcher<In, Out> {
  private queue: { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly flush: (items: In[]) => Promise<Out[]>;
  private readonly maxBatch: number;

  constructor(flush: (items: In[]) => Promise<Out[]>, maxBatch = 500) {
    this.flush = flush;
    this.maxBatch = maxBatch;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves once everything submitted so far has been flushed (graceful shutdown). */
  drained(): Promise<void> {
    return this.idle;
  }

  private async drain() {
    this.running = true;
    this.idle = new Promise((resolve) => {
      this.markIdle = resolve;
    });
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.flush(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(results[i] as Out);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.running = false;
    this.markIdle();
  }
}
