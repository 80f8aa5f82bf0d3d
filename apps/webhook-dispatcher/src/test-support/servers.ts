import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const infra = fileURLToPath(new URL('../../../../scripts/infra.sh', import.meta.url));

/** Stops or starts a shared local server: only for `*.restart.int.test.ts`, which run alone. */
export async function server(action: 'stop' | 'start', name: 'rabbitmq' | 'redis' | 'postgres' | 'kafka') {
  await promisify(execFile)('bash', [infra, action, name], { timeout: 120_000 });
}

export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
