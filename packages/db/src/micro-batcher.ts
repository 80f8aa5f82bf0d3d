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
  /**
   * Items waiting for a flush at most (default: unbounded). Past it `submit` rejects with
   * MicroBatcherFullError at once: under overload a queue that keeps growing only turns every wait into a
   * timeout, and each waiting item holds its memory.
   */
  maxQueued?: number;
}

/** The queue holds `maxQueued` items already: the item was not taken. */
export class MicroBatcherFullError extends Error {
  override readonly name = 'MicroBatcherFullError';
  readonly code = 'MICRO_BATCHER_FULL';
}

export interface SubmitOptions {
  /**
   * Once aborted, an item still waiting is taken out of the queue and rejects with the signal's reason: it
   * is never flushed (its requester has been answered already). An item already in a flush is not affected.
   */
  signal?: AbortSignal;
}

interface Queued<In, Out> {
  item: In;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
  onAbort?: () => void;
  signal?: AbortSignal;
}

/**
 * Natural batching: an item that arrives while fewer than `concurrency` flushes run is flushed at once (or
 * after `lingerMs`); items that arrive while all flush slots are busy wait and go together in the next free
 * one. Each submitter waits for its own flush, so what it submitted is durable when its promise resolves:
 * one database round trip for hundreds of requests under a release-day storm.
 */
export class MicroBatcher<In, Out = void> {
  private queue: Queued<In, Out>[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly flush: (items: In[]) => Promise<Out[] | undefined>;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly lingerMs: number;
  private readonly maxQueued: number;

  /** `flush` returns one result per item, in order (or nothing when Out is void). */
  constructor(flush: (items: In[]) => Promise<Out[] | undefined>, options: MicroBatcherOptions = {}) {
    this.flush = flush;
    this.maxBatch = options.maxBatch ?? 500;
    this.concurrency = options.concurrency ?? 1;
    this.lingerMs = options.lingerMs ?? 0;
    this.maxQueued = options.maxQueued ?? Number.POSITIVE_INFINITY;
  }

  /** Items waiting for a flush (not those in one). */
  get queued(): number {
    return this.queue.length;
  }

  submit(item: In, options: SubmitOptions = {}): Promise<Out> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A free flush slot takes the item at once, so only items that would wait count against the bound.
    if (this.running >= this.concurrency && this.queue.length >= this.maxQueued) {
      return Promise.reject(new MicroBatcherFullError(`${this.queue.length} items already wait for a flush`));
    }
    return new Promise<Out>((resolve, reject) => {
      const entry: Queued<In, Out> = { item, resolve, reject };
      if (signal) {
        entry.signal = signal;
        entry.onAbort = () => {
          const at = this.queue.indexOf(entry);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.queue.push(entry);
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
      for (const b of batch) if (b.onAbort) b.signal?.removeEventListener('abort', b.onAbort);
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
