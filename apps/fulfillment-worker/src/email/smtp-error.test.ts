import { describe, expect, it } from 'vitest';
import { mayHaveBeenSent, scrubSmtpError } from './smtp-error.ts';

// Issue 15: temporary errors climb the retry ladder, permanent ones fail at once (mailer.ts).
describe('scrubSmtpError: transient or permanent', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, 'permanent'],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, 'permanent'],
    [{ code: 'EENVELOPE', responseCode: 452, command: 'RCPT TO' }, 'transient'],
    [{ code: 'EENVELOPE', responseCode: 421, command: 'MAIL FROM' }, 'transient'],
    // Our connection, not the message: a relay refusing us or a credential being rotated fails no email for good.
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, 'transient'],
    [{ code: 'EPROTOCOL', responseCode: 554, command: 'CONN' }, 'transient'],
    [{ code: 'ECONNECTION' }, 'transient'],
    [{ code: 'ETIMEDOUT' }, 'transient'],
    [{ code: 'ESOCKET' }, 'transient'],
    [{ code: 'ECONNREFUSED' }, 'transient'],
    [new Error('a bug'), 'unknown'],
  ])('%o is %s', (err, errorClass) => {
    expect(scrubSmtpError(err).errorClass).toBe(errorClass);
  });
});

describe('mayHaveBeenSent: a failed attempt that may still have reached the server', () => {
  it.each([
    [{ code: 'ETIMEDOUT' }, true], // the mailer's own send timeout, or nodemailer's mid-session
    [{ code: 'ESOCKET', command: 'DATA' }, true],
    [{ code: 'ESOCKET', command: 'CONN' }, false],
    [{ code: 'ECONNECTION', command: 'CONN' }, false],
    [{ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }, false],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, false],
  ])('%o: %s', (err, expected) => {
    expect(mayHaveBeenSent(scrubSmtpError(err))).toBe(expected);
  });
});
