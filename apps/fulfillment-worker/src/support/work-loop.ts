import type { Logger } from '@single/logger';

export interface WorkLoopOptions {
  name: string;
  /** Does one round of work; returns how many items it handled (0 = idle, sleep until woken or polled). */
  tick: () => Promise<number>;
  idleMs: number;
  logger: Pick<Logger, 'warn'>;
  /** Cap of the backoff after failed ticks (database down). */
  maxBackoffMs?: number;
}

/**
 * A background loop for the outboxes and the scheduler: runs `tick` back to back while there is work,
 * sleeps `idleMs` (or until `wake()`, e.g. on a NOTIFY) when there is none, and backs off when a tick
 * fails. `stop()` lets the current tick finish.
 */
export class WorkLoop {
  readonly #options: WorkLoopOptions;
  #stopping = false;
  #running: Promise<void> | undefined;
  #wake: () => void = () => {};
  #woken = false;

  constructor(options: WorkLoopOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  wake(): void {
    this.#woken = true;
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake();
    await this.#running;
  }

  async #run(): Promise<void> {
    let backoffMs = 0;
    while (!this.#stopping) {
      try {
        this.#woken = false;
        const handled = await this.#options.tick();
        backoffMs = 0;
        if (handled === 0 && !this.#woken) await this.#sleep(this.#options.idleMs);
      } catch (err) {
        backoffMs = Math.min(Math.max(backoffMs * 2, 100), this.#options.maxBackoffMs ?? 5_000);
        this.#options.logger.warn({ err, loop: this.#options.name, retryInMs: backoffMs }, 'work loop paused');
        await this.#sleep(backoffMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    // A stop that arrived during the tick found no sleep to cut short: without this the loop would sleep its
    // whole idle period (a minute for the export sweep) before seeing it, past the pod's termination grace.
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = wake;
    });
  }
}
