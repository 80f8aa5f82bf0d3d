import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, sharedFixture } from './shared-fixtures.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('sharedFixture', () => {
  it('resolves inside the repository, never beside it', () => {
    const path = sharedFixture('shopify/orders-paid.json');
    expect(existsSync(path)).toBe(true);
    expect(relative(repoRoot, path).startsWith('..')).toBe(false);
  });

  it('every fixture the tests read is tracked by git, so a clone has it', () => {
    const tracked = new Set(
      execFileSync('git', ['-C', repoRoot, 'ls-files', relative(repoRoot, FIXTURES_DIR)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((file) => relative(relative(repoRoot, FIXTURES_DIR), file)),
    );
    for (const dir of ['shopify', 'geoip']) {
      for (const file of readdirSync(sharedFixture(dir))) expect(tracked).toContain(`${dir}/${file}`);
    }
    // The GeoIP test databases travel with their licence.
    expect(tracked).toContain('geoip/LICENSE-APACHE');
    expect(tracked).toContain('geoip/LICENSE-MIT');
  });
});
