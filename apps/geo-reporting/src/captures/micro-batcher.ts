/**
 * Natural batching: the first item after an idle period is flushed at once; items that arrive while a flush
 * runs wait for it and go together in the next one. Each submitter still waits for its own flush, so a
 * capture is durable before the 204, at one INSERT per batch instead of one per request.
 */
export class MicroBatcher<In> {
  private queue: { item: In; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private running: Promise<void> | null = null;
  private readonly flush: (items: In[]) => Promise<void>;
  private readonly maxBatch: number;

  constructor(flush: (items: In[]) => Promise<void>, maxBatch = 500) {
    this.flush = flush;
    this.maxBatch = maxBatch;
  }

  submit(item: In): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves once everything submitted so far is flushed (graceful shutdown). */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.flush(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.running = null;
  }
}
