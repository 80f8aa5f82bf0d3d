import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { REPO_ROOT } from '../test-support/run.ts';

// `cmdr images login`: the images job's ECR login, `aws ecr get-login-password --region <region> | buildah login
// --username AWS --password-stdin <host>` without a shell. Fake `aws` and `buildah` first on PATH log their
// arguments (and buildah its standard input); `aws` prints a token or fails as the real CLI does without credentials.
const dir = mkdtempSync(join(tmpdir(), 'cmdr-login-'));
const log = join(dir, 'calls.log');
const stdinLog = join(dir, 'buildah-stdin');
const TOKEN = 'eyJwYXlsb2FkIjoiZmFrZS1lY3ItdG9rZW4tZm9yLXRoZS10ZXN0In0';
const REGISTRY = '123456789012.dkr.ecr.eu-central-1.amazonaws.com/single';

beforeAll(() => {
  writeFileSync(
    join(dir, 'aws'),
    `#!/bin/sh
echo "aws $*" >> "${log}"
if [ -n "$FAKE_AWS_FAIL" ]; then echo "$FAKE_AWS_FAIL" >&2; exit 255; fi
echo "${TOKEN}"
`,
  );
  writeFileSync(
    join(dir, 'buildah'),
    `#!/bin/sh
echo "buildah $*" >> "${log}"
cat > "${stdinLog}"
echo "Login Succeeded!"
`,
  );
  chmodSync(join(dir, 'aws'), 0o755);
  chmodSync(join(dir, 'buildah'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  rmSync(log, { force: true });
  rmSync(stdinLog, { force: true });
});

const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

function cmdr(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', join(REPO_ROOT, 'apps/cmdr/src/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, ...env },
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
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cmdr images login', () => {
  it("pipes the registry region's ECR token into buildah login, never into an argument or cmdr's output", async () => {
    const run = await cmdr(['images', 'login'], { CMDR_REGISTRY: REGISTRY });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'logged in to 123456789012.dkr.ecr.eu-central-1.amazonaws.com (ECR, eu-central-1) for buildah\n',
    );
    expect(calls()).toEqual([
      'aws ecr get-login-password --region eu-central-1',
      'buildah --storage-driver vfs login --username AWS --password-stdin 123456789012.dkr.ecr.eu-central-1.amazonaws.com',
    ]);
    expect(readFileSync(stdinLog, 'utf8')).toBe(TOKEN);
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
  }, 30_000);

  it('--registry wins over $CMDR_REGISTRY, and --json says where it logged in', async () => {
    const run = await cmdr(
      ['--json', 'images', 'login', '--registry', '210987654321.dkr.ecr.us-east-1.amazonaws.com/single'],
      { CMDR_REGISTRY: REGISTRY },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      host: '210987654321.dkr.ecr.us-east-1.amazonaws.com',
      account: '210987654321',
      region: 'us-east-1',
    });
    expect(calls()[0]).toBe('aws ecr get-login-password --region us-east-1');
  }, 30_000);

  it("fails with the AWS CLI's own words, and buildah is never called, when there are no credentials", async () => {
    const said = 'Unable to locate credentials. You can configure credentials by running "aws configure".';
    const run = await cmdr(['images', 'login'], { CMDR_REGISTRY: REGISTRY, FAKE_AWS_FAIL: said });
    expect(run.code).toBe(ExitCode.failure);
    expect(run.stderr).toBe(
      `cmdr: aws ecr get-login-password --region eu-central-1 failed (exit 255): ${said}; not logged in to 123456789012.dkr.ecr.eu-central-1.amazonaws.com\n`,
    );
    expect(calls()).toEqual(['aws ecr get-login-password --region eu-central-1']);
  }, 30_000);

  it("refuses projects.yaml's placeholder registry before asking AWS for anything", async () => {
    const run = await cmdr(['images', 'login']);
    expect(run.code).toBe(ExitCode.conflict);
    expect(run.stderr).toMatch(
      /^cmdr: projects\.yaml's registry is 000000000000\.dkr\.ecr\..*a placeholder.*set CMDR_REGISTRY/,
    );
    expect(run.stderr).toContain('; not logged in');
    expect(calls()).toEqual([]);
  }, 30_000);

  it.each([
    {
      form: 'with an explicit port',
      registry: '123456789012.dkr.ecr.eu-central-1.amazonaws.com:443/single',
      host: '123456789012.dkr.ecr.eu-central-1.amazonaws.com:443',
      region: 'eu-central-1',
    },
    {
      form: 'dual-stack (IPv4 and IPv6)',
      registry: '123456789012.dkr-ecr.us-west-2.on.aws/single',
      host: '123456789012.dkr-ecr.us-west-2.on.aws',
      region: 'us-west-2',
    },
    {
      form: 'dual-stack FIPS, with a port',
      registry: '123456789012.dkr-ecr-fips.us-east-1.on.aws:443/single',
      host: '123456789012.dkr-ecr-fips.us-east-1.on.aws:443',
      region: 'us-east-1',
    },
  ])(
    'logs in to an ECR host $form, as images push accepts it',
    async ({ registry, host, region }) => {
      const run = await cmdr(['--json', 'images', 'login', '--registry', registry]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ host, account: '123456789012', region });
      expect(calls()).toEqual([
        `aws ecr get-login-password --region ${region}`,
        `buildah --storage-driver vfs login --username AWS --password-stdin ${host}`,
      ]);
    },
    30_000,
  );

  it('refuses a registry that is not ECR as a usage error, saying how to log in to it', async () => {
    const run = await cmdr(['images', 'login', '--registry', 'registry.gitlab.com/group/single']);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain('registry.gitlab.com is not an ECR registry');
    expect(run.stderr).toContain('buildah login');
    expect(calls()).toEqual([]);
  }, 30_000);
});
