import { describe, expect, it } from 'vitest';
import { scrubSmtpError } from './smtp-error.ts';

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
