/**
 * Runs tasks that share a key one after another, in submission order; different keys run concurrently.
 * Used for per-entity ordering inside one consumer (e.g. the messages of one order).
 */
export class KeyedSerializer {
  #tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(task);
    const tail = current.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return current;
  }

  get activeKeys(): number {
    return this.#tails.size;
  }
}
