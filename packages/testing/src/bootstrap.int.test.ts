import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

// `export PATH=$(node scripts/bootstrap.mjs)` is how the README puts the toolchain on PATH: on a fresh
// checkout the first call provisions pnpm from the npm registry, and npm's chatter must not end up in PATH.
describe('scripts/bootstrap.mjs on a fresh checkout', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bootstrap-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints only the PATH on stdout while it provisions', () => {
    mkdirSync(join(scratch, 'scripts'));
    copyFileSync(join(repoRoot, 'scripts/bootstrap.mjs'), join(scratch, 'scripts/bootstrap.mjs'));
    copyFileSync(join(repoRoot, 'package.json'), join(scratch, 'package.json'));
    const stdout = execFileSync(process.execPath, ['scripts/bootstrap.mjs'], {
      cwd: scratch,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const entries = lines[0]!.split(':');
    expect(entries[0]).toBe(join(scratch, '.toolchain', 'bin'));
    expect(entries.every((entry) => entry.startsWith('/'))).toBe(true);
    // The pnpm it provisioned runs from that PATH.
    const version = execFileSync('pnpm', ['--version'], {
      cwd: scratch,
      encoding: 'utf8',
      env: { ...process.env, PATH: lines[0] },
    }).trim();
    expect(version).toBe('12.4.2');
  }, 120_000);
});
