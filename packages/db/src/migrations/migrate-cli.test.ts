import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// scripts/migrate.ts is what `cmdr up` and every chart's migration Job run. A database it cannot reach is told in
// the schema engine's words with the target (password masked) and exit 1, not a Wasm stack trace (seen on the
// old script: 15 lines of schema_engine_bg.js frames).
describe('scripts/migrate.ts deploy against an unreachable database', () => {
  it('says which database it could not reach, without a stack or the password', () => {
    const run = spawnSync(process.execPath, ['--conditions=source', 'scripts/migrate.ts', 'deploy'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, DATABASE_URL: 'postgres://single:s3cret@127.0.0.1:1/none' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('migrate.ts deploy: failed on postgres://single:***@127.0.0.1:1/none');
    expect(run.stderr).toContain("Can't reach database server at `127.0.0.1:1`");
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain('s3cret');
  }, 60_000);
});
