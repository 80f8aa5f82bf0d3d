/**
 * Coalesces concurrent handler calls into batches: items submitted while `concurrency` flushes are running
 * wait and go together in the next one (one transaction for hundreds of orders under load, no added delay
 * when quiet). When a batch fails and held several items, each is retried alone so that one bad item
 * fails only its own message.
 */
type Entry<In, Out> = { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void };

export class Batcher<In, Out> {
  readonly #flush: (items: In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  readonly #concurrency: number;
  #queue: Entry<In, Out>[] = [];
  #running = 0;

  constructor(flush: (items: In[]) => Promise<Out[]>, options: { maxBatch?: number; concurrency?: number } = {}) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch ?? 200;
    this.#concurrency = options.concurrency ?? 2;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#running++;
      void this.#run(batch).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(batch: Entry<In, Out>[]): Promise<void> {
    try {
      const results = await this.#flush(batch.map((b) => b.item));
      for (const [i, b] of batch.entries()) b.resolve(results[i] as Out);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const entry of batch) {
        try {
          const [result] = await this.#flush([entry.item]);
          entry.resolve(result as Out);
        } catch (single) {
          entry.reject(single);
        }
      }
    }
  }
}
