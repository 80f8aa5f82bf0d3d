/**
 * What the email outbox keeps of a failed send. SMTP servers quote the recipient in their replies ("550 5.1.1
 * <riley@example.com>: Recipient address rejected"), and nodemailer puts that reply in the error's message, so
 * the message is never stored or logged: only nodemailer's error code, the SMTP reply code, the command that
 * failed, and a class (`transient` for 4xx, network trouble and timeouts, `permanent` for a 5xx refusal of the
 * envelope or message, or nodemailer's own refusal of them: see CONNECTION_LEVEL, REFUSED_LOCALLY; `unknown`,
 * retried like `transient`, for anything else). None of them can hold
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
  /**
   * The session never reached the envelope: the relay refused or could not be reached, the connect, greeting
   * or TLS set-up timed out, or nodemailer refused the call itself. Nothing of the message can have arrived.
   */
  beforeEnvelope: boolean;
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
      ? responseCode >= 500 && !CONNECTION_LEVEL.has(code) && !ourSenderRefused(command, responseCode)
        ? 'permanent'
        : 'transient'
      : CONNECTION_LEVEL.has(code)
        ? 'transient'
        : REFUSED_LOCALLY.has(code)
          ? 'permanent'
          : 'unknown';
  const beforeEnvelope =
    command === 'API' ||
    NEVER_CONNECTED.has(String(e.originalCode)) ||
    SETUP_TIMEOUTS.has(String(e.timeoutType)) ||
    ['EDNS', 'ETLS', 'EAUTH', 'ECONNREFUSED'].includes(code);
  return { code, responseCode, command, errorClass, beforeEnvelope };
}

/**
 * A 5xx to MAIL FROM refuses our sender (an address the relay does not allow, authentication it wants), not the
 * fan's message: like a 535 to AUTH it must not fail the whole queue for good. 552 there is the message's size.
 */
function ourSenderRefused(command: string | null, responseCode: number): boolean {
  return command === 'MAIL FROM' && responseCode !== 552;
}

/**
 * nodemailer's own refusals of the envelope or the message, with no reply from a server: no recipient or an
 * invalid address (EENVELOPE, command `API`), an empty message or one over the server's advertised size
 * (EMESSAGE). The same email fails the same way on every attempt, so they are permanent, not `unknown`.
 */
const REFUSED_LOCALLY = new Set(['EENVELOPE', 'EMESSAGE']);

/** System errors of a connect that never got through (nodemailer keeps them as `originalCode`). */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** nodemailer's timeouts before a session exists (`timeoutType`); SOCKET_TIMEOUT may strike mid-DATA. */
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/**
 * Trouble with our connection, not with the message: network errors, timeouts, and refusals of the
 * connection itself (a 5xx greeting, a 535 to AUTH). These are transient even with a 5xx code: a relay that
 * is down or a credential being rotated must not fail every queued email at once. A 5xx answer to the
 * envelope or the message (EENVELOPE, EMESSAGE: unknown mailbox, message refused) is permanent.
 */
const CONNECTION_LEVEL = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'EAUTH',
  'EPROTOCOL',
  'ETLS',
  'ECONNREFUSED',
  'ECONNRESET',
]);

/** The text stored in email_message.last_error, e.g. `smtp transient 451 EENVELOPE RCPT TO`. */
export function formatSmtpError(error: ScrubbedSmtpError): string {
  return ['smtp', error.errorClass, error.responseCode ?? '-', error.code, error.command ?? '-'].join(' ');
}

/**
 * A timeout or a connection lost without an answer from the server, once a session may have been open: the
 * message may have been accepted (the answer to DATA lost on the way back), so a retry may make a copy
 * (mailer.ts counts it). nodemailer reports a socket timeout and a connection closed mid-DATA alike with command
 * `CONN`, so the command cannot tell: only a failure known to come before the envelope, or an answer from the
 * server, means the message was not taken. Counting an attempt that never arrived is the safe error.
 */
export function mayHaveBeenSent(error: ScrubbedSmtpError): boolean {
  return (
    error.responseCode === null &&
    !error.beforeEnvelope &&
    ['ETIMEDOUT', 'ESOCKET', 'ECONNECTION', 'ECONNRESET'].includes(error.code)
  );
}
