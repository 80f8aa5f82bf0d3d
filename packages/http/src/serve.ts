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

export async function serve({ app, health }: HttpApp, options: ServeOptions): Promise<RunningServer> {
  const address = await app.listen({ host: options.host, port: options.port });
  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      health.shuttingDown = true;
      if (options.drainDelayMs) await new Promise((r) => setTimeout(r, options.drainDelayMs));
      await app.close(); // stops accepting, lets in-flight requests finish
      grace.uninstall();
      for (const close of options.onClose ?? []) {
        try {
          await close();
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
