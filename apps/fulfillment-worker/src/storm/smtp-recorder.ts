import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ReceivedMail, startTestSmtpServer } from '@single/testing';

// The storm's SMTP server, a real one (smtp-server) in a process of its own: in the test's process it would
// share one core with the load generator and the proxies and answer late, and a late answer is a fault of
// its own. The child prints each message it accepts as a JSON line; the parent keeps them in `received`.
// `failing` makes every RCPT TO answer 451 (a transient refusal the mailer must retry).

export interface SmtpRecorder {
  url: string;
  received: ReceivedMail[];
  /**
   * The first message received for each recipient. The load polls it for every order waiting to send its
   * refund or redaction: a scan of `received` there costs orders x messages per poll, which at the large
   * storm's size saturated the test process (and with it the proxies every request goes through).
   */
  firstFor: Map<string, ReceivedMail>;
  failing: boolean;
  close(): Promise<void>;
}

const isChild = process.argv[1] === fileURLToPath(import.meta.url);

export async function startSmtpRecorder(): Promise<SmtpRecorder> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=source', fileURLToPath(import.meta.url)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const received: ReceivedMail[] = [];
  const firstFor = new Map<string, ReceivedMail>();
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`SMTP recorder exited with ${code}`)));
    lines.on('line', (line) => {
      if (line.startsWith('url ')) resolve(line.slice(4));
      else if (line.startsWith('{')) {
        const mail = JSON.parse(line) as ReceivedMail;
        received.push(mail);
        for (const to of mail.to) if (!firstFor.has(to)) firstFor.set(to, mail);
      }
    });
  });
  let failing = false;
  return {
    url,
    received,
    firstFor,
    get failing() {
      return failing;
    },
    set failing(value: boolean) {
      failing = value;
      child.stdin!.write(`${value ? 'fail' : 'accept'}\n`);
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (isChild) {
  const smtp = await startTestSmtpServer();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const seen = smtp.received;
  // Forward each accepted message as it arrives (the helper only collects them).
  const push = seen.push.bind(seen);
  seen.push = (...mails: ReceivedMail[]) => {
    for (const mail of mails) out(JSON.stringify(mail));
    return push(...mails);
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    smtp.failing = line.trim() === 'fail';
  });
  process.on('SIGTERM', () => void smtp.close().then(() => process.exit(0)));
  out(`url ${smtp.url}`);
}
