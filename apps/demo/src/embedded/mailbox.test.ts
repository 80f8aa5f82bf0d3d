import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderMailbox } from './mailbox.ts';

describe("the demo's mailbox", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'demo-mailbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the real MIME message: multipart/alternative with the text and the HTML part, headers kept', async () => {
    const mailbox = new FolderMailbox(dir);
    const html = `<!doctype html><html lang="en"><body><p>Héllo <a href="https://dl.example/d/${'x'.repeat(43)}">Download</a></p></body></html>`;
    await mailbox.sendMail({
      from: 'Single <downloads@single.example>',
      to: 'riley.fan@example.com',
      subject: 'Your music from order #1042 is ready to download',
      text: `Héllo\nDownload: https://dl.example/d/${'x'.repeat(43)}`,
      html,
      messageId: '<row-1@single.example>',
      headers: { 'X-Single-Email-Kind': 'order_downloads' },
    });
    const [file] = await mailbox.read();
    // The bytes on disk, read the way a mail client does (the full MIME reader of @single/testing is not a
    // dependency of the demo; the worker's download-email.int.test.ts parses the same composer's output with it).
    const raw = (await readFile(path.join(dir, file!.file))).toString('utf8');
    const [head, ...rest] = raw.split('\r\n\r\n');
    const body = rest.join('\r\n\r\n');
    expect(head).toMatch(/^Content-Type: multipart\/alternative;\s+boundary="([^"]+)"$/m);
    expect(head).toMatch(/^Message-ID: <row-1@single\.example>$/m);
    expect(head).toMatch(/^X-Single-Email-Kind: order_downloads$/m);
    expect(head).toMatch(/^To: riley\.fan@example\.com$/m);
    expect(head).toMatch(/^MIME-Version: 1\.0$/m);
    const boundary = /boundary="([^"]+)"/.exec(head!)![1]!;
    const parts = body.split(`--${boundary}`).slice(1, -1);
    expect(parts.map((p) => /Content-Type: ([^;\r\n]+)/.exec(p)?.[1])).toEqual(['text/plain', 'text/html']);
    const decoded = parts.map((p) => {
      const [partHead, ...partBody] = p.replace(/^\r\n/, '').split('\r\n\r\n');
      const text = partBody.join('\r\n\r\n').replace(/\r\n$/, '');
      return /Content-Transfer-Encoding: base64/i.test(partHead!)
        ? Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/=\r\n/g, '')
              .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8');
    });
    expect(decoded[0]).toContain('Héllo');
    expect(decoded[1]).toBe(html);
    // read() gives the source with quoted-printable undone, so links read whole (the storm follows them).
    expect(file!.content).toContain(`https://dl.example/d/${'x'.repeat(43)}`);
    expect(file!.content).toMatch(/^To: riley\.fan@example\.com$/m);
  });
});
