import nodemailer from 'nodemailer';
import type { MailTransport } from './mailer.ts';

type Message = Parameters<MailTransport['sendMail']>[0];

// nodemailer's stream transport builds the message exactly as the SMTP transport sends it (multipart/alternative
// with the text and HTML parts, encoded headers, the stored Message-ID) and hands the bytes back instead of
// sending them. CRLF line ends, as on the wire and in an .eml file.
const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

/** The whole MIME message an email would be on the wire: for hosts that keep mail as files (the demo's mailbox). */
export async function composeMime(message: Message): Promise<Buffer> {
  const info = (await composer.sendMail(message)) as { message: Buffer };
  return info.message;
}
