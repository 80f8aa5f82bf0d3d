import { describe, expect, it } from 'vitest';
import { mayHaveBeenSent, scrubSmtpError } from './smtp-error.ts';

// Issue 15: temporary errors climb the retry ladder, permanent ones fail at once (mailer.ts).
describe('scrubSmtpError: transient or permanent', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, 'permanent'],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, 'permanent'],
    [{ code: 'EENVELOPE', responseCode: 452, command: 'RCPT TO' }, 'transient'],
    [{ code: 'EENVELOPE', responseCode: 421, command: 'MAIL FROM' }, 'transient'],
    // Our sender refused (not allowed, authentication wanted): every queued email would fail for good.
    [{ code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM' }, 'transient'],
    [{ code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' }, 'transient'],
    [{ code: 'EENVELOPE', responseCode: 552, command: 'MAIL FROM' }, 'permanent'],
    // Our connection, not the message: a relay refusing us or a credential being rotated fails no email for good.
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, 'transient'],
    [{ code: 'EPROTOCOL', responseCode: 554, command: 'CONN' }, 'transient'],
    [{ code: 'ECONNECTION' }, 'transient'],
    [{ code: 'ETIMEDOUT' }, 'transient'],
    [{ code: 'ESOCKET' }, 'transient'],
    [{ code: 'ECONNREFUSED' }, 'transient'],
    // nodemailer's own refusal of the envelope or the message, no server reply: the same on every attempt.
    [{ code: 'EENVELOPE', command: 'API' }, 'permanent'], // no recipient, an invalid address
    [{ code: 'EMESSAGE', command: 'API' }, 'permanent'], // empty message
    [{ code: 'EMESSAGE', command: 'MAIL FROM' }, 'permanent'], // larger than the server's SIZE
    // Anything else without a reply stays unknown (retried like transient).
    [{ code: 'ENOLINK' }, 'unknown'],
    [{ code: 'ECONNECTION', command: 'API' }, 'transient'],
    [new Error('a bug'), 'unknown'],
  ])('%o is %s', (err, errorClass) => {
    expect(scrubSmtpError(err).errorClass).toBe(errorClass);
  });
});

describe('mayHaveBeenSent: a failed attempt that may still have reached the server', () => {
  // The shapes nodemailer 10 gives (smtp-connection: _formatError keeps a system error's code as originalCode,
  // timeoutError sets timeoutType); smtp-error.int.test.ts makes the mid-DATA ones happen against a real server.
  it.each([
    [{ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' }, true], // silent mid-session
    [{ code: 'ECONNECTION', command: 'CONN' }, true], // "Connection closed unexpectedly", no reply
    [{ code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNRESET' }, true],
    [{ code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNREFUSED' }, false],
    [{ code: 'ESOCKET', command: 'CONN', originalCode: 'ENOTFOUND' }, false],
    [{ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'CONNECT_TIMEOUT' }, false],
    [{ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'GREETING_TIMEOUT' }, false],
    [{ code: 'ECONNECTION', command: 'API' }, false],
    [{ code: 'ECONNECTION', responseCode: 421, command: 'CONN' }, false], // the server said why it closed
    [{ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }, false],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, false],
  ])('%o: %s', (err, expected) => {
    expect(mayHaveBeenSent(scrubSmtpError(err))).toBe(expected);
  });
});
