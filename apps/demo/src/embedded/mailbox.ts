import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
 * The SMTP server of the demo: every email the worker sends is written to `dir` as an .eml file (open it
 * with any mail client). Same interface as the nodemailer transport main.ts uses.
 */
export class FolderMailbox {
  readonly dir: string;
  #sequence = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async sendMail(message: MailboxMessage): Promise<{ messageId: string }> {
    await mkdir(this.dir, { recursive: true });
    const extra = Object.entries(message.headers ?? {}).map(([name, value]) => `${name}: ${oneLine(value)}`);
    const eml = [
      `From: ${oneLine(message.from)}`,
      `To: ${oneLine(message.to)}`,
      `Subject: ${oneLine(message.subject)}`,
      `Message-ID: ${oneLine(message.messageId)}`,
      `Date: ${new Date().toUTCString()}`,
      ...extra,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      message.text,
    ].join('\r\n');
    this.#sequence += 1;
    const name = `${String(this.#sequence).padStart(4, '0')}-${message.to.replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`;
    await writeFile(path.join(this.dir, name), eml);
    return { messageId: message.messageId };
  }

  /** The files written so far, oldest first, with their content. */
  async read(): Promise<{ file: string; content: string }[]> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
    return Promise.all(
      files.map(async (file) => ({ file, content: await readFile(path.join(this.dir, file), 'utf8') })),
    );
  }
}

const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ');
