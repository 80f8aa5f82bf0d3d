import { randomUUID } from 'node:crypto';
import { LockBusyError } from './errors.ts';
import type { LockOptions } from './port.ts';

export interface LockBackend {
  /** Sets key to token for ttlMs unless it exists; true when set. */
  acquire(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Deletes key only if it still holds token. */
  release(key: string, token: string): Promise<void>;
  onReleaseError(key: string, error: unknown): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lock protocol both adapters share: owner token, bounded wait, compare-and-delete release. */
export async function runWithLock<T>(
  backend: LockBackend,
  key: string,
  ttlMs: number,
  fn: () => Promise<T>,
  { waitMs = 0, retryDelayMs = 25 }: LockOptions = {},
): Promise<T> {
  const token = randomUUID();
  const giveUpAt = Date.now() + waitMs;
  while (!(await backend.acquire(key, token, ttlMs))) {
    if (Date.now() + retryDelayMs > giveUpAt) throw new LockBusyError(key);
    await sleep(retryDelayMs);
  }
  try {
    return await fn();
  } finally {
    // The lock expires by itself; a failed release must not hide fn's own outcome.
    await backend.release(key, token).catch((error: unknown) => backend.onReleaseError(key, error));
  }
}
