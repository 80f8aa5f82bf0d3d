import type { Platform } from './platform.ts';
import { restartServer, startServer, stopServer } from './servers.ts';
import type { SmtpRecorder } from './smtp-recorder.ts';

// The faults of the storm, on a timeline from the start of the load (CI: the load lasts ~15 s, so the faults
// follow each other closely and the longer ones outlast it; `scale` spreads them over a longer storm). The
// storm's servers are restarted by scripts/infra.sh, one call at a time (it holds a lock per SINGLE_INFRA_HOME).

export interface Fault {
  name: string;
  start: number;
  end: number;
  /** The fault could not be carried out (a server that would not stop or start): the storm reports it. */
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** STORM_FAULTS=postgres,kafka (say) runs only those: smtp, postgres, worker, redis, rabbitmq, kafka. */
const only = process.env.STORM_FAULTS?.split(',').map((s) => s.trim());
const FAULT_KEYS: Record<string, string> = {
  'SMTP refusing (451) 30 s': 'smtp',
  'PostgreSQL restarted': 'postgres',
  'worker SIGKILLed and restarted': 'worker',
  'Redis restarted': 'redis',
  'RabbitMQ restarted': 'rabbitmq',
  'Kafka stopped 20 s': 'kafka',
};

async function timed(faults: Fault[], name: string, work: () => Promise<unknown>): Promise<void> {
  if (only && !only.includes(FAULT_KEYS[name] ?? name)) return;
  const fault: Fault = { name, start: Date.now(), end: Number.NaN };
  faults.push(fault);
  try {
    await work();
  } catch (error) {
    fault.error = (error as Error).message.slice(0, 500);
  }
  fault.end = Date.now();
}

export async function runFaults(options: {
  platform: Platform;
  smtp: SmtpRecorder;
  faults: Fault[];
  scale: number;
}): Promise<void> {
  const { faults, smtp, platform } = options;
  const at = async (seconds: number, since: number) => {
    const wait = since + seconds * 1000 * options.scale - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const t0 = Date.now();
  // The SMTP server refuses every recipient (451) for 30 s: the mailer must retry, not give up or double.
  const smtpDown = (async () => {
    await at(0.5, t0);
    await timed(faults, 'SMTP refusing (451) 30 s', async () => {
      smtp.failing = true;
      await sleep(30_000);
      smtp.failing = false;
    });
  })();
  await at(1, t0);
  await timed(faults, 'PostgreSQL restarted', () => restartServer('postgres'));
  await at(4, t0);
  await timed(faults, 'worker SIGKILLed and restarted', () => platform.killWorker());
  await timed(faults, 'Redis restarted', () => restartServer('redis'));
  await at(6, t0);
  await timed(faults, 'RabbitMQ restarted', () => restartServer('rabbitmq'));
  await timed(faults, 'Kafka stopped 20 s', async () => {
    await stopServer('kafka');
    await sleep(20_000);
    await startServer('kafka');
  });
  await smtpDown;
}
