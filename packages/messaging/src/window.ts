/**
 * Bounds the publishes awaiting a broker confirm. Callers beyond the bound wait in FIFO order until a
 * slot frees or their deadline passes.
 */
export class InFlightWindow {
  readonly size: number;
  #used = 0;
  #waiters: { grant: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size must be a positive integer: ${size}`);
    this.size = size;
  }

  get inUse(): number {
    return this.#used;
  }

  /** Resolves with a release function, or rejects with `onTimeout()` when `deadline` (epoch ms) passes first. */
  acquire(deadline: number, onTimeout: () => Error): Promise<() => void> {
    if (this.#used < this.size && this.#waiters.length === 0) {
      this.#used++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.#releaser());
        },
        timer: setTimeout(
          () => {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            reject(onTimeout());
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // The slot passes straight to the next waiter, so the count only drops when nobody waits.
      if (next) next.grant();
      else this.#used--;
    };
  }
}
