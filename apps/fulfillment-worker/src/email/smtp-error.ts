/**
 * What the email outbox keeps of a failed send. SMTP servers quote the recipient in their replies ("550 5.1.1
 * <riley@example.com>: Recipient address rejected"), and nodemailer puts that reply in the error's message, so
 * the message is never stored or logged: only nodemailer's error code, the SMTP reply code, the command that
 * failed, and a class (`transient` for 4xx and network trouble, `permanent` for 5xx). None of them can hold
 * an address, and they are enough to tell a full mailbox from a rejected one or a dead relay.
 */
export interface ScrubbedSmtpError {
  /** nodemailer's code (EENVELOPE, EMESSAGE, ECONNECTION, ETIMEDOUT, EAUTH, ...), or `unknown`. */
  code: string;
  /** The SMTP reply code (e.g. 451, 550), when the server answered. */
  responseCode: number | null;
  /** The SMTP command that failed (e.g. `RCPT TO`), when known. */
  command: string | null;
  errorClass: 'transient' | 'permanent' | 'unknown';
}

const WORD = /^[A-Z][A-Z0-9_ ]{0,19}$/;

export function scrubSmtpError(err: unknown): ScrubbedSmtpError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  // Only values of a fixed shape are kept: a code or command that does not look like one is dropped.
  const code = typeof e.code === 'string' && WORD.test(e.code) ? e.code : 'unknown';
  const responseCode =
    typeof e.responseCode === 'number' &&
    Number.isInteger(e.responseCode) &&
    e.responseCode >= 200 &&
    e.responseCode < 600
      ? e.responseCode
      : null;
  const command = typeof e.command === 'string' && WORD.test(e.command.toUpperCase()) ? e.command.toUpperCase() : null;
  const errorClass =
    responseCode !== null
      ? responseCode >= 500
        ? 'permanent'
        : 'transient'
      : ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS'].includes(code)
        ? 'transient'
        : 'unknown';
  return { code, responseCode, command, errorClass };
}

/** The text stored in email_message.last_error, e.g. `smtp transient 451 EENVELOPE RCPT TO`. */
export function formatSmtpError(error: ScrubbedSmtpError): string {
  return ['smtp', error.errorClass, error.responseCode ?? '-', error.code, error.command ?? '-'].join(' ');
}
