import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSharedDir, sharedFixture } from './shared-fixtures.ts';

const git = (...args: string[]) => execFileSync('git', args, { stdio: 'ignore' });

describe('findSharedDir', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-fixtures-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('takes SINGLE_SHARED_DIR first, then the sibling shared/ folder of the checkout', () => {
    const root = scratch();
    mkdirSync(join(root, 'shared', 'fixtures'), { recursive: true });
    mkdirSync(join(root, 'repo'));
    const elsewhere = scratch();
    mkdirSync(join(elsewhere, 'fixtures'));
    expect(findSharedDir({ env: {}, repoRoot: join(root, 'repo') })).toBe(join(root, 'shared'));
    expect(findSharedDir({ env: { SINGLE_SHARED_DIR: elsewhere }, repoRoot: join(root, 'repo') })).toBe(elsewhere);
  });

  it('finds the shared/ folder beside the repository a temporary clone was made from', () => {
    const root = scratch();
    mkdirSync(join(root, 'shared', 'fixtures'), { recursive: true });
    git('init', '-q', join(root, 'main'));
    git(
      '-C',
      join(root, 'main'),
      '-c',
      'user.email=ci@single.test',
      '-c',
      'user.name=ci',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'x',
    );
    const clone = join(scratch(), 'clone');
    git('clone', '-q', join(root, 'main'), clone);
    expect(findSharedDir({ env: {}, repoRoot: clone })).toBe(join(root, 'shared'));
  });

  it('says where it looked when there is no shared/ folder anywhere', () => {
    const lonely = join(scratch(), 'repo');
    mkdirSync(lonely);
    expect(() => findSharedDir({ env: {}, repoRoot: lonely })).toThrow(/shared fixtures not found.*SINGLE_SHARED_DIR/);
  });

  it('resolves the fixtures of this checkout', () => {
    expect(existsSync(sharedFixture('shopify/orders-paid.json'))).toBe(true);
  });
});
