import type { Logger } from '@single/logger';
import closeWithGrace from 'close-with-grace';
import type { HttpApp } from './app.ts';

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Whole shutdown deadline; keep it below the chart's terminationGracePeriodSeconds. */
  shutdownTimeoutMs: number;
  /** Wait after readiness turns 503 so load balancers notice before the listener closes. */
  drainDelayMs?: number;
  /** Closed after the HTTP server, in order: consumers, then connections, then the tracer flush. */
  onClose?: readonly (() => Promise<void>)[];
}

export interface RunningServer {
  address: string;
  /** Runs the same graceful sequence as SIGTERM; used by tests and the demo. */
  shutdown: () => Promise<void>;
}

/** Kept between the end of our own sequence and close-with-grace's kill. */
const SHUTDOWN_MARGIN_MS = 1_000;
/** The least time a close step gets, however late it starts. */
const STEP_MIN_MS = 200;

/** Resolves when `work` settles or after `ms`, whichever comes first (rejects if `work` rejects in time). */
async function within(work: Promise<void>, ms: number): Promise<'done' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function serve({ app, health }: HttpApp, options: ServeOptions): Promise<RunningServer> {
  const address = await app.listen({ host: options.host, port: options.port });
  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      // Every step is bounded so that the whole sequence ends before close-with-grace's kill (exit 1, a
      // failed container on each deploy): a request whose body never ends, or a Kafka disconnect held by a
      // rebalance, must not hold the rest.
      const deadline =
        Date.now() + options.shutdownTimeoutMs - Math.min(SHUTDOWN_MARGIN_MS, options.shutdownTimeoutMs / 10);
      health.shuttingDown = true;
      if (options.drainDelayMs) await new Promise((r) => setTimeout(r, options.drainDelayMs));
      // Stops accepting and closes idle keep-alive connections (fastify's forceCloseConnections: 'idle'),
      // lets in-flight requests finish; those still open past half the time left are cut.
      const force = setTimeout(
        () => {
          options.logger.warn('requests still in flight at the shutdown deadline: closing their connections');
          app.server.closeAllConnections();
        },
        Math.max(0, (deadline - Date.now()) / 2),
      );
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
      grace.uninstall();
      const steps = options.onClose ?? [];
      for (const [i, close] of steps.entries()) {
        // Each step may use the time left, less a little for each step after it.
        const budget = Math.max(STEP_MIN_MS, deadline - Date.now() - (steps.length - 1 - i) * STEP_MIN_MS);
        try {
          const outcome = await within(close(), budget);
          if (outcome === 'timed out') options.logger.warn({ step: i, budgetMs: budget }, 'close step timed out');
        } catch (err) {
          options.logger.error({ err }, 'error while closing');
        }
      }
    })();
    return closing;
  };
  const grace = closeWithGrace(
    {
      delay: options.shutdownTimeoutMs,
      logger: { error: (msg: unknown) => options.logger.error({ msg }, 'shutdown') },
    },
    async ({ signal, err }) => {
      if (err) options.logger.error({ err }, 'fatal error, shutting down');
      else options.logger.info({ signal }, 'shutting down');
      await shutdown();
    },
  );
  options.logger.info({ address }, 'listening');
  return { address, shutdown };
}
