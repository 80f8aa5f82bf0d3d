import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';

// `cmdr up` polls each app's /health/ready on its port. With the port already held by another program (an
// earlier `cmdr up`, another checkout), that program answered the poll: up printed artist-api ready at its URL
// and --exit-when-ready exited 0 in 0.6 s while artist-api itself never bound. Seen failing on the old command.
// Both refusals come before any server, migration or app is started.
let impostor: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (impostor ? impostor.close(() => resolve()) : resolve())));

describe('cmdr up refuses before starting anything', () => {
  it('an app port something else listens on, naming the app and the port (exit 5)', async () => {
    const offset = 20_000 + Math.floor(Math.random() * 20_000);
    const port = 3003 + offset; // artist-api's containerPort
    impostor = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => impostor?.listen(port, '127.0.0.1', resolve));
    const run = await cmdr([
      'up',
      '--no-infra',
      '--no-migrate',
      '--only',
      'artist-api',
      '--exit-when-ready',
      '--port-offset',
      String(offset),
    ]);
    expect(run.code).toBe(ExitCode.unavailable);
    expect(run.stderr).toContain(`port already in use: artist-api :${port}`);
    expect(run.stdout).not.toContain(`http://127.0.0.1:${port}`);
  }, 30_000);

  it.each(['abc', '0', '1.5'])('--ready-timeout %s is a usage error (exit 2)', async (value) => {
    const run = await cmdr(['up', '--no-infra', '--no-migrate', '--only', 'artist-api', '--ready-timeout', value]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain('--ready-timeout must be a whole number of seconds');
  });
});
