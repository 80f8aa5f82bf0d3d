import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The local repository a checkout was cloned from, if any (CI clones into a temporary directory). */
function clonedFrom(repoRoot: string): string | null {
  try {
    const origin = execFileSync('git', ['-C', repoRoot, 'config', '--get', 'remote.origin.url'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const path = origin.startsWith('file://') ? fileURLToPath(origin) : origin;
    return isAbsolute(path) ? resolve(path) : null;
  } catch {
    return null; // not a git checkout, or no origin
  }
}

/**
 * The project's `shared/` folder (fixtures, domain rules), looked for in order: SINGLE_SHARED_DIR, the
 * checkout's sibling `shared/`, and for a clone made elsewhere the sibling of the repository it came from.
 */
export function findSharedDir(options: { env?: NodeJS.ProcessEnv; repoRoot?: string } = {}): string {
  const env = options.env ?? process.env;
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const tried: string[] = [];
  if (env.SINGLE_SHARED_DIR) tried.push(resolve(env.SINGLE_SHARED_DIR));
  tried.push(resolve(repoRoot, '..', 'shared'));
  const origin = clonedFrom(repoRoot);
  if (origin !== null) tried.push(join(dirname(origin), 'shared'));
  const found = tried.find((candidate) => existsSync(join(candidate, 'fixtures')));
  if (found === undefined)
    throw new Error(
      `shared fixtures not found (tried ${tried.join(', ')}): set SINGLE_SHARED_DIR to the shared/ folder`,
    );
  return found;
}

let sharedDir: string | undefined;

/** The absolute path of a file under the shared fixtures (`shared/fixtures/<path>`). */
export function sharedFixture(path: string): string {
  sharedDir ??= findSharedDir();
  return join(sharedDir, 'fixtures', path);
}
