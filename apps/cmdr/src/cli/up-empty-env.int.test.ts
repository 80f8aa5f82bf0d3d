import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test-support/dispatcher.ts';
import { REPO_ROOT } from '../test-support/run.ts';

// `cmdr up` as a newcomer runs it in a fresh clone: a real process with an empty environment (what
// `env -i PATH=… HOME=…` leaves), against the local servers of scripts/infra.sh. The apps must get the
// same local server URLs the other cmdr commands default to, or they exit 78 (invalid configuration).
const MAIN = join(REPO_ROOT, 'apps/cmdr/src/main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cmdrProcess(args: string[], extraEnv: Record<string, string> = {}, killAfterMs = 170_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', MAIN, ...args], {
      cwd: REPO_ROOT,
      // Only PATH and HOME, as `env -i` would leave them: no server URL, no secret, no CMDR_ROOT.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGINT'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Four app ports in a row (3001..3004 + offset) that nothing listens on now. */
async function portOffset(): Promise<number> {
  return (await freePort()) - 3001;
}

describe('cmdr up with an empty environment', () => {
  it('starts the servers, migrates, starts every app on the local servers and exits 0 once all are ready', async () => {
    const offset = await portOffset();
    const run = await cmdrProcess(['--json', 'up', '--exit-when-ready', '--port-offset', String(offset)]);
    expect(run.stderr).not.toContain('Invalid configuration');
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stderr).toContain('[infra] up: all services ready');
    expect(run.stderr).toMatch(/Database "single" is up to date|Applied to "single"/);
    const apps = JSON.parse(run.stdout) as { app: string; url: string }[];
    expect(apps.map((a) => a.app).sort()).toEqual([
      'artist-api',
      'dashboard',
      'fulfillment-worker',
      'geo-reporting',
      'webhook-dispatcher',
    ]);
    for (const app of apps) {
      expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // --exit-when-ready stopped every app again
      await expect(fetch(`${app.url}/health/live`)).rejects.toThrow();
    }
  }, 180_000);

  it('fails at once, naming the app and why, when an app cannot start (not after every ready timeout)', async () => {
    const offset = await portOffset();
    const run = await cmdrProcess(
      [
        'up',
        '--no-infra',
        '--no-migrate',
        '--only',
        'webhook-dispatcher,geo-reporting',
        '--exit-when-ready',
        '--ready-timeout',
        '90',
        '--port-offset',
        String(offset),
      ],
      { KAFKA_BROKERS: 'not-a-broker' },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('KAFKA_BROKERS.0: each broker must be host:port');
    expect(run.stderr).toContain('cmdr: geo-reporting exited with 78: invalid configuration');
    // The dispatcher was stopped and up returned well before the 90 s ready timeout.
    expect(run.ms).toBeLessThan(45_000);
  }, 120_000);
});
