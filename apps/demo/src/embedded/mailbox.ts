import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeMime } from '@single/fulfillment-worker/steps';

export interface MailboxMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers?: Record<string, string>;
}

/**
 * The SMTP server of the demo: every email the worker sends is written to `dir` as an .eml file, the real MIME
 * message (multipart/alternative, text and HTML, built by nodemailer exactly as the SMTP transport sends it):
 * open it with any mail client. Same interface as the nodemailer transport main.ts uses.
 */
export class FolderMailbox {
  readonly dir: string;
  #sequence = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async sendMail(message: MailboxMessage): Promise<{ messageId: string }> {
    await mkdir(this.dir, { recursive: true });
    const eml = await composeMime(message);
    this.#sequence += 1;
    const name = `${String(this.#sequence).padStart(4, '0')}-${message.to.replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`;
    await writeFile(path.join(this.dir, name), eml);
    return { messageId: message.messageId };
  }

  /**
   * The files written so far, oldest first, with their content as a person reads the source: quoted-printable
   * soft line breaks and escapes decoded, so headers and links read whole (the files keep the encoding).
   */
  async read(): Promise<{ file: string; content: string }[]> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
    return Promise.all(
      files.map(async (file) => ({
        file,
        content: decodeQuotedPrintable(await readFile(path.join(this.dir, file), 'utf8')),
      })),
    );
  }
}

const decodeQuotedPrintable = (s: string) =>
  s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
