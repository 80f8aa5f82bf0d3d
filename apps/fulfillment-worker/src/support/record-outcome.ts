import type { Logger } from '@single/logger';

/**
 * Writes one outbox row's outcome, retrying while its lease lasts. The side effect already happened (SMTP
 * accepted the email, Shopify answered): losing this write would send it again once the lease expires, so a
 * database blip (a restart, a failover) is waited out rather than given up on. Past the lease another sender
 * may have claimed the row, so the write is abandoned there and the row is resent with the same key.
 * Returns whether the outcome was written.
 */
export async function recordOutcome(
  write: () => Promise<void>,
  options: { deadline: number; logger?: Pick<Logger, 'warn'> | undefined; what: Record<string, unknown> },
): Promise<boolean> {
  for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2_000)) {
    try {
      await write();
      return true;
    } catch (err) {
      if (Date.now() + waitMs >= options.deadline) {
        options.logger?.warn({ err, ...options.what }, 'outcome not recorded before the lease ended: sent again later');
        return false;
      }
      options.logger?.warn({ err, ...options.what, retryInMs: waitMs }, 'outcome not recorded yet: retrying');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
