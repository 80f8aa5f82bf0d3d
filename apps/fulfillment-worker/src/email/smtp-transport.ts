import nodemailer from 'nodemailer';

export interface SmtpTransportOptions {
  url: string;
  maxConnections: number;
  /** The outbox lease: a send must settle well inside it, or another replica would resend while it may land. */
  leaseMs: number;
}

/**
 * The worker's SMTP transport, as production runs it (main.ts and the tests that prove what it does under a slow
 * or dropping relay use this one function). Pooled: a batch goes over a few reused connections. nodemailer's own
 * timeouts, half the lease (at most 60 s), end a dead connection, so a send settles before its lease runs out.
 */
export function createSmtpTransport(options: SmtpTransportOptions) {
  const timeoutMs = Math.min(60_000, Math.floor(options.leaseMs / 2));
  return nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections,
    connectionTimeout: Math.min(10_000, timeoutMs),
    greetingTimeout: Math.min(10_000, timeoutMs),
    socketTimeout: timeoutMs,
  });
}
