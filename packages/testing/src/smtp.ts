import type { AddressInfo } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  /** The raw message with quoted-printable soft breaks and escapes decoded, so links read whole. */
  source: string;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedMail[];
  /** While set, RCPT TO answers 451 (a transient failure the mailer must retry). */
  failing: boolean;
  /** A nodemailer transport that sends to this server. */
  transport(): Transporter;
  close(): Promise<void>;
}

const decodeQuotedPrintable = (s: string) =>
  s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** A real SMTP server on 127.0.0.1 (smtp-server), recording what it accepts. */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const state = { failing: false };
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (state.failing) {
        const error = Object.assign(new Error('try again later'), { responseCode: 451 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          source: decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8')),
        });
        callback();
      });
    },
  });
  // A client that goes away mid-session (a worker killed or stopped while sending) is the client's business:
  // unhandled, smtp-server's 'error' event would crash the process the server runs in.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const url = `smtp://127.0.0.1:${port}`;
  return {
    url,
    received,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    transport() {
      return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
